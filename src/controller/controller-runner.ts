import type { Class } from '../core/app';
import type { CommandRunner } from '../core/command-runner';
import type { ConfigData } from '../core/config';
import { lazy } from '../core/lazy';
import { controllerLabel, controllerOptions } from './registry';

const dispatcher = lazy<typeof import('./dispatcher')>(require, './dispatcher');

/**
 * The controller layer as every app's command runner: `@Controller`
 * `configDefaults` for the config, and argv → parser → dispatcher → the
 * controller method for `run()`. The dispatcher loads when an app first runs.
 */
export const ControllerRunner: CommandRunner = {
  configDefaults(controllers: readonly Class[]): ConfigData {
    const data: ConfigData = {};
    for (const controller of controllers) {
      const defaults = controllerOptions(controller)?.configDefaults;
      // The first controller of a label gives its defaults, as merging one by one without overriding did.
      if (defaults) data[controllerLabel(controller)] = { ...defaults, ...data[controllerLabel(controller)] };
    }
    return data;
  },

  run(app) {
    return dispatcher().dispatch(app);
  },
};
