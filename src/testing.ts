/**
 * `mortar/testing`: runs an app in this process, as a test wants it, and
 * hands back what a user would have seen. Loaded only by tests: `mortar`
 * itself never loads this file.
 *
 * ```ts
 * import { runApp, withConfig } from 'mortar/testing';
 * const { code, stdout } = await runApp('tasks', { controllers: [TasksController], ...withConfig('[tasks]\nfile = t.json\n') }, ['list']);
 * ```
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App as AppClass, AppOptions } from './index';

// The package's single file, which `mortar` is too, so the app, its decorators and its errors are the
// very ones the test imports, whichever of the two entries is loaded first; it is all a package ships.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- dist/mortar.js is copied there, not compiled: no module to import
const { App } = require('./mortar') as typeof import('./index');

/** What {@link runApp} resolves to. */
export interface RunResult {
  /** The exit code `main()` settled on (see docs/application.md, "Exit codes"). */
  readonly code: number;
  /** Everything the app wrote to its stdout: command output, help, rendered data. */
  readonly stdout: string;
  /** Everything the app wrote to its stderr: log lines and error messages. */
  readonly stderr: string;
  /** The app, closed, for a look at `app.config`, `app.pargs` or `app.lastError`. */
  readonly app: AppClass;
}

/**
 * Runs `new App(label, options).main()` with `argv` as its command line, in
 * this process, and resolves to its exit code and output. The app is
 * `embedded`: its output is captured (and help is 80 columns wide), no handler
 * of signals or uncaught exceptions is installed, `process.exitCode` is left
 * alone, and daemonizing is refused. Each run has a container of its own.
 * Unless the options say otherwise, no config file or `conf.d` directory is
 * read and no plugin directory is searched, so the machine's `/etc/<label>`
 * never leaks into a test; the environment (`<LABEL>_SECTION_KEY`) still applies.
 *
 * @param argv The command line. Default: `options.argv`, else none.
 */
export async function runApp(
  label: string,
  options: AppOptions = {},
  argv: readonly string[] = options.argv ?? [],
): Promise<RunResult> {
  for (const key of ['stdout', 'stderr', 'embedded'] as const) {
    if (options[key] !== undefined)
      throw new TypeError(
        `runApp(): leave '${key}' out of the options: runApp captures the output of an embedded app itself`,
      );
  }
  const stdout = new CapturedOutput();
  const stderr = new CapturedOutput();
  const app = new App(label, { configFiles: [], pluginDirs: [], ...options, argv, stdout, stderr, embedded: true });
  const code = await app.main();
  return { code, stdout: stdout.text, stderr: stderr.text, app };
}

let configDir: string | undefined;
let configCount = 0;

/**
 * Config files for {@link runApp} (or `new App`): each text is written to a
 * file of its own, in order, and `{ configFiles }` listing them is returned,
 * to spread into the options. The files live in a temporary directory that
 * is removed when the process exits.
 *
 * ```ts
 * await runApp('myapp', { ...withConfig('[daemon]\npid_file = x.pid\n') }, ['status']);
 * ```
 */
export function withConfig(...texts: string[]): { configFiles: string[] } {
  if (configDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'mortar-testing-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    configDir = dir;
  }
  const dir = configDir;
  return {
    configFiles: texts.map((text) => {
      const file = join(dir, `${++configCount}.conf`);
      writeFileSync(file, text);
      return file;
    }),
  };
}

type Callback = (error?: Error | null) => void;

/** A writable stream that keeps what is written to it. */
class CapturedOutput extends EventEmitter implements NodeJS.WritableStream {
  writable = true;
  /** The width help wraps to, as a terminal would say. */
  readonly columns = 80;
  text = '';

  write(chunk: string | Uint8Array, encoding?: BufferEncoding | Callback, callback?: Callback): boolean {
    this.text +=
      typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(typeof encoding === 'string' ? encoding : 'utf8');
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) process.nextTick(done);
    return true;
  }

  end(chunk?: string | Uint8Array | Callback, encoding?: BufferEncoding | Callback, callback?: Callback): this {
    const done = [chunk, encoding, callback].find((argument): argument is Callback => typeof argument === 'function');
    if (chunk !== undefined && typeof chunk !== 'function')
      this.write(chunk, typeof encoding === 'string' ? encoding : undefined);
    if (done) process.nextTick(done);
    return this;
  }
}
