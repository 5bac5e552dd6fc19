// The public entry defines this class while it loads, so the metadata API must be in place first.
import '../core/metadata-polyfill';
import { App } from '../core/app';
import { lazy } from '../core/lazy';
import { arg } from './arg';
import { Controller } from './controller';
import { Expose } from './expose';

const SHELLS = ['bash', 'zsh', 'fish'] as const;

// Only the completion command needs the generators: they load when it runs.
const registry = lazy<typeof import('./registry')>(require, './registry');
const completionTableModule = lazy<typeof import('./completion-table')>(require, './completion-table');
const globalArgumentsModule = lazy<typeof import('./global-arguments')>(require, './global-arguments');
const completionFish = lazy<typeof import('./completion-fish')>(require, './completion-fish');
const completionSh = lazy<typeof import('./completion-sh')>(require, './completion-sh');

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
    const { buildCommandTree } = registry();
    const { completionTable } = completionTableModule();
    const { globalArguments } = globalArgumentsModule();
    const nodes = completionTable(buildCommandTree(this.app.controllers), globalArguments(this.app));
    const prog = this.app.label;
    if (args.shell === 'fish') {
      this.app.stdout.write(completionFish().fishScript(prog, nodes));
      return;
    }
    const sh = completionSh();
    this.app.stdout.write(args.shell === 'bash' ? sh.bashScript(prog, nodes) : sh.zshScript(prog, nodes));
  }
}
