// The public entry defines this class while it loads, so the metadata API must be in place first.
import '../core/metadata-polyfill';
import { App } from '../core/app';
import { arg } from './arg';
import { Controller } from './controller';
import { Expose } from './expose';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

/**
 * `myapp completion bash|zsh|fish`: prints a completion script for the shell,
 * generated from the command tree (commands and aliases, every level's options,
 * their choices and the choices of positional arguments; hidden commands and
 * controllers never appear). Add it to the app's `controllers`; its command
 * joins the top level. The script completes from tables it carries, so a TAB
 * starts no process; regenerate it when the commands change.
 */
@Controller({ label: 'completion', stackedOn: 'base', stackedType: 'embedded' })
export class CompletionController {
  constructor(private readonly app: App) {}

  @Expose({
    help: 'print a shell completion script (bash, zsh or fish)',
    arguments: [arg('shell', { choices: SHELLS, help: 'the shell to complete in' })],
  })
  completion(args: { shell: (typeof SHELLS)[number] }): void {
    // Only this command needs the generators: load them here.
    const { buildCommandTree } = require('./registry') as typeof import('./registry');
    const { completionTable } = require('./completion-table') as typeof import('./completion-table');
    const { globalArguments } = require('./global-arguments') as typeof import('./global-arguments');
    const nodes = completionTable(buildCommandTree(this.app.controllers), globalArguments(this.app));
    const prog = this.app.label;
    if (args.shell === 'fish') {
      this.app.stdout.write(
        (require('./completion-fish') as typeof import('./completion-fish')).fishScript(prog, nodes),
      );
      return;
    }
    const sh = require('./completion-sh') as typeof import('./completion-sh');
    this.app.stdout.write(args.shell === 'bash' ? sh.bashScript(prog, nodes) : sh.zshScript(prog, nodes));
  }
}
