import type { App } from './app';

/** A template given to `app.render()`: a function of the data, or a name or text a template-based handler understands. */
export type Template<T = unknown> = string | ((data: T) => string);

/** Options of `app.render(data, options)`. */
export interface RenderOptions<T = unknown> {
  /** The output handler for this call only. Default: the app's (`--output`, else `[<label>] output`, else `AppOptions.output`, else `text`). */
  handler?: string;
  /**
   * A template, for the handlers that use one: `text` calls a function template
   * with the data and prints what it returns instead of its own layout; `json`
   * ignores templates. Default: none.
   */
  template?: Template<T>;
  /** Whether the text is written to `app.stdout` (it is returned either way). Default: true. */
  write?: boolean;
}

/** What a handler's `render()` receives besides the data. */
export interface RenderContext {
  /** The app that renders (its config, its label). */
  readonly app: App;
  /** The template given to `app.render()`, if any. */
  readonly template?: Template<never>;
}

/**
 * Turns data into text: `json`, `text`, or one an extension registers with
 * `app.addOutputHandler()`. Users choose it by name (`--output NAME`).
 */
export interface OutputHandler {
  /** The name users choose it by: letters, digits, `_` and `-`. */
  readonly name: string;
  /** Renders the data; the text should end with a newline unless it is empty. */
  render(data: unknown, context: RenderContext): string | Promise<string>;
}
