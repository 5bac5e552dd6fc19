import type { Config } from './config';
import { FrameworkError } from './errors';
import type { HookManager } from './hooks';
import { lazy } from './lazy';
import { globalOption, type OptionSpec } from './option-spec';
import type { OutputHandler, RenderContext, RenderOptions } from './output-handler';

const NAME = /^[a-z][a-z0-9_-]*$/i;

const jsonOutput = lazy<typeof import('./json-output')>(require, './json-output');
const textOutput = lazy<typeof import('./text-output')>(require, './text-output');

/** The built-in handlers, loaded when first used. */
const BUILTINS: Readonly<Record<string, () => OutputHandler>> = {
  json: () => jsonOutput().JsonOutput,
  text: () => textOutput().TextOutput,
};

/** What the renderer needs from the app, as signals.ts's `SignalTarget`. */
export interface RenderTarget {
  readonly label: string;
  readonly config: Config;
  readonly hooks: HookManager;
  readonly stdout: NodeJS.WritableStream;
  /** The parsed arguments: `--output` is read there. */
  readonly pargs: Readonly<Record<string, unknown>>;
}

/**
 * `app.render()` behind the scenes: the registry of output handlers, which
 * one is chosen, and the `pre_render` → handler → `post_render` → stdout path.
 * Created on first use, so an app that never renders loads none of it.
 */
export class Renderer {
  private readonly handlers = new Map<string, OutputHandler | (() => OutputHandler)>(Object.entries(BUILTINS));

  /**
   * @param app The app that renders.
   * @param configured `AppOptions.output`; when given, the app also has the `--output` option.
   * @param handedOn The same app as handlers (`RenderContext.app`) and the render hooks receive it.
   */
  constructor(
    private readonly app: RenderTarget,
    private readonly configured: string | undefined,
    private readonly handedOn: RenderContext['app'],
  ) {}

  /** The names of every registered handler, sorted. */
  get names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  /** Adds a handler; its name must be new. */
  register(handler: OutputHandler): void {
    if (!handler || typeof handler.name !== 'string' || typeof handler.render !== 'function') {
      throw new FrameworkError('An output handler must be an object with a name and a render(data, context) function.');
    }
    if (!NAME.test(handler.name)) {
      throw new FrameworkError(
        `Invalid output handler name '${handler.name}': use letters, digits, '_' and '-', starting with a letter.`,
      );
    }
    if (this.handlers.has(handler.name))
      throw new FrameworkError(`An output handler named '${handler.name}' is already registered.`);
    this.handlers.set(handler.name, handler);
  }

  /** The `--output FORMAT` option (`-o` too): every handler a choice, the default handler the default. */
  option(): OptionSpec {
    let fallback: string;
    try {
      fallback = this.defaultName();
    } catch {
      // A bad config value fails the run before any parsing; help may still be asked for first.
      fallback = this.configured ?? 'text';
    }
    return globalOption(['-o', '--output'], `output format: ${this.choices}`, {
      metavar: 'FORMAT',
      choices: this.names,
      default: fallback,
    });
  }

  /**
   * The handler used when a call names none, without `--output`: `[<label>] output`,
   * else `AppOptions.output`, else `text`. A name no handler has is an error
   * saying where it came from.
   */
  defaultName(): string {
    const { label, config } = this.app;
    if (config.has(label, 'output')) {
      const value = config.get(label, 'output');
      if (typeof value !== 'string' || !this.handlers.has(value))
        throw config.invalid(label, 'output', `use ${this.choices}`);
      return value;
    }
    if (this.configured !== undefined && !this.handlers.has(this.configured)) {
      throw new FrameworkError(`Invalid AppOptions.output '${this.configured}': use ${this.choices}.`);
    }
    return this.configured ?? 'text';
  }

  /** Renders `data` with the chosen handler, through the `pre_render` and `post_render` hooks. */
  async render(data: unknown, options: RenderOptions = {}): Promise<string> {
    const name = options.handler ?? this.chosenName();
    const handler = this.handler(name);
    const { app, handedOn } = this;
    const input = await app.hooks.pipe('pre_render', data, (value) => [handedOn, value, name]);
    const text = await handler.render(input, {
      app: handedOn,
      template: options.template as RenderOptions<never>['template'],
    });
    if (typeof text !== 'string')
      throw new FrameworkError(`Output handler '${name}' returned ${typeof text} instead of text.`);
    const output = await app.hooks.pipe(
      'post_render',
      text,
      (value) => [handedOn, value, name],
      (result) => {
        if (typeof result !== 'string')
          throw new FrameworkError(
            `A post_render hook returned ${typeof result}: return the text (a string), or nothing to keep it.`,
          );
        return result;
      },
    );
    if (options.write !== false && output !== '') app.stdout.write(output);
    return output;
  }

  /** `--output` when the app has that option and it was given, else {@link defaultName}. */
  private chosenName(): string {
    const given = this.configured !== undefined ? this.app.pargs.output : undefined;
    return typeof given === 'string' ? given : this.defaultName();
  }

  private handler(name: string): OutputHandler {
    const entry = this.handlers.get(name);
    if (!entry) throw new FrameworkError(`Unknown output handler '${name}': use ${this.choices}.`);
    if (typeof entry !== 'function') return entry;
    const handler = entry();
    this.handlers.set(name, handler);
    return handler;
  }

  /** The names as a sentence: `json or text`, `json, text or yaml`. */
  get choices(): string {
    const names = this.names;
    return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}` : names.join('');
  }
}
