'use strict';
// The smallest commander program with a `hello` sub-command, for start-up timing.
const { Command } = require('commander');

const program = new Command('hello-commander').description('Says hello.').version('1.0.0');

program
  .command('hello')
  .description('print a greeting')
  .action(() => {
    process.stdout.write('Hello, world!\n');
  });

program.parse();
