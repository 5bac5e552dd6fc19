import type { App } from '../core/app';
import { FrameworkError } from '../core/errors';
import type { ArgumentSpec } from './metadata';
import { declaredFlags } from './registry';

/**
 * The app's global options as the command line takes them (parser, help,
 * completion): `-o` of `--output` yields to an option of the app's own that
 * uses it, and the app's own `--output` is a clash.
 */
export function globalArguments(app: App): readonly ArgumentSpec[] {
  const globals = app.globalArguments;
  const output = globals.find((spec) => spec.dest === 'output' && spec.flags.includes('--output'));
  if (!output) return globals;
  const owned = declaredFlags(app.controllers);
  if (owned.has('--output')) {
    throw new FrameworkError(
      `${owned.get('--output')} declares '--output', which the app's output option uses: rename it, or leave out AppOptions.output.`,
      { code: 'mortar.invalidDeclaration' },
    );
  }
  if (!owned.has('-o')) return globals;
  const longOnly: ArgumentSpec = { ...output, flags: ['--output'] };
  return globals.map((spec) => (spec === output ? longOnly : spec));
}
