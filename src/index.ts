/**
 * mortar: a decorator-based application framework for Node.js command-line
 * programs and daemons. This is the only public entry point.
 */
import './core/metadata-polyfill';
import { defineBuiltinExtension } from './core/extension';

export { App } from './core/app';
export type { AppOptions, HookTuple, Class, Provider } from './core/app';
export { Config, defaults } from './core/config';
export type { ConfigData, MergeOptions } from './core/config';
export { FrameworkError, UsageError } from './core/errors';
export type { Extension } from './core/extension';
export { HookManager, BUILTIN_HOOKS } from './core/hooks';
export type { HookFunction, RegisterHookOptions } from './core/hooks';
export { Logger } from './core/logger';
export type { LogLevel, LoggerSettings } from './core/logger';
export { SignalStop } from './core/signals';

export { Controller } from './controller/controller';
export { Expose } from './controller/expose';
export { arg } from './controller/arg';
export type {
  ArgumentAction,
  ArgumentOptions,
  ArgumentSpec,
  ArgumentType,
  ControllerOptions,
  ExposeOptions,
} from './controller/metadata';

export { DaemonService } from './ext/daemon/daemon-service';
export type { DaemonizeOptions, DaemonSettings, DaemonStatus, StopOptions, StopResult } from './ext/daemon/daemon-service';
export { DaemonController } from './ext/daemon/daemon-controller';
export { Daemonize } from './ext/daemon/daemonize';
import { DaemonExtension } from './ext/daemon/daemon-extension';

export { DaemonExtension };

defineBuiltinExtension('daemon', () => DaemonExtension);
