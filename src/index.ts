/**
 * mortar: a decorator-based application framework for Node.js command-line
 * programs and daemons. This is the only public entry point.
 */
import './core/metadata-polyfill';
import { defineCommandRunner } from './core/command-runner';
import { defineBuiltinExtension } from './core/extension';
import { lazy } from './core/lazy';
import { ControllerRunner } from './controller/controller-runner';

export { App, TOKENS } from './core/app';
export type { AppOptions, HookTuple, Class, Provider } from './core/app';
export { Config, defaults } from './core/config';
export type { ConfigData, MergeOptions } from './core/config';
export { FrameworkError, UsageError } from './core/errors';
export type { Extension } from './core/extension';
export type { OutputHandler, RenderContext, RenderOptions, Template } from './core/output-handler';
export { HookManager, BUILTIN_HOOKS } from './core/hooks';
export type { HookFunction, RegisterHookOptions } from './core/hooks';
export { Logger } from './core/logger';
export type { LogAdapter, LogAdapterFields, LogFormat, LogLevel, LoggerSettings } from './core/logger';
export { SignalStop } from './core/signals';

export { Controller } from './controller/controller';
export { Expose } from './controller/expose';
export { arg } from './controller/arg';
export { args } from './controller/args';
export type { ArgsOf } from './controller/args';
export type {
  ArgumentAction,
  ArgumentOptions,
  ArgumentSpec,
  ArgumentType,
  ControllerOptions,
  ExposeOptions,
  Nargs,
} from './controller/metadata';

export type { DaemonizeOptions } from './ext/daemon/daemon-service';
export type { DaemonSettings } from './ext/daemon/daemon-settings';
export type { DaemonStatus, StopOptions, StopResult } from './ext/daemon/daemon-operations';
export type { Watchdog, WatchdogCheck } from './ext/systemd/watchdog';
export type { ListenFds } from './ext/systemd/listen-fds';

// The daemon's classes and decorator are loaded on first use, so programs that never touch
// them don't pay for them at start-up. The getters are written in the form
// Node's ESM loader recognises, so `import { DaemonService } from 'mortar'` works.
import type * as daemonService from './ext/daemon/daemon-service';
import type * as daemonController from './ext/daemon/daemon-controller';
import type * as daemonExtension from './ext/daemon/daemon-extension';
import type * as daemonize from './ext/daemon/daemonize';

export declare const DaemonService: typeof daemonService.DaemonService;
export type DaemonService = daemonService.DaemonService;
export declare const DaemonController: typeof daemonController.DaemonController;
export type DaemonController = daemonController.DaemonController;
export declare const DaemonExtension: typeof daemonExtension.DaemonExtension;
export declare const Daemonize: typeof daemonize.Daemonize;

const daemonServiceModule = lazy<typeof daemonService>(require, './ext/daemon/daemon-service');
const daemonControllerModule = lazy<typeof daemonController>(require, './ext/daemon/daemon-controller');
const daemonizeModule = lazy<typeof daemonize>(require, './ext/daemon/daemonize');
const daemonExtensionModule = lazy<typeof daemonExtension>(require, './ext/daemon/daemon-extension');
const daemon = {
  get DaemonService() {
    return daemonServiceModule().DaemonService;
  },
  get DaemonController() {
    return daemonControllerModule().DaemonController;
  },
  get Daemonize() {
    return daemonizeModule().Daemonize;
  },
  get DaemonExtension() {
    return daemonExtensionModule().DaemonExtension;
  },
};
Object.defineProperty(exports, 'DaemonService', {
  enumerable: true,
  get: function () {
    return daemon.DaemonService;
  },
});
Object.defineProperty(exports, 'DaemonController', {
  enumerable: true,
  get: function () {
    return daemon.DaemonController;
  },
});
Object.defineProperty(exports, 'Daemonize', {
  enumerable: true,
  get: function () {
    return daemon.Daemonize;
  },
});
Object.defineProperty(exports, 'DaemonExtension', {
  enumerable: true,
  get: function () {
    return daemon.DaemonExtension;
  },
});

defineBuiltinExtension('daemon', () => daemon.DaemonExtension);
defineCommandRunner(() => ControllerRunner);

// CompletionController is loaded on first use too: defining its class costs every start about a millisecond.
import type * as completionController from './controller/completion-controller';

export declare const CompletionController: typeof completionController.CompletionController;
export type CompletionController = completionController.CompletionController;

const completionControllerModule = lazy<typeof completionController>(require, './controller/completion-controller');
const completion = {
  get CompletionController() {
    return completionControllerModule().CompletionController;
  },
};
Object.defineProperty(exports, 'CompletionController', {
  enumerable: true,
  get: function () {
    return completion.CompletionController;
  },
});
