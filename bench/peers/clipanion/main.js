'use strict';
// The smallest clipanion program with a `hello` sub-command, for start-up timing.
const { Builtins, Cli, Command } = require('clipanion');

class HelloCommand extends Command {
  static paths = [['hello']];
  static usage = Command.Usage({ description: 'print a greeting' });

  async execute() {
    this.context.stdout.write('Hello, world!\n');
  }
}

const cli = new Cli({ binaryLabel: 'Says hello.', binaryName: 'hello-clipanion', binaryVersion: '1.0.0' });
cli.register(Builtins.HelpCommand);
cli.register(Builtins.VersionCommand);
cli.register(HelloCommand);
void cli.runExit(process.argv.slice(2));
