// The smallest nest-commander program with a `hello` sub-command, for start-up timing.
// Compiled by the root build (tsc, decorator metadata on) into build/bench/peers/nest-commander/.
import 'reflect-metadata';
// The two imports below resolve from bench/node_modules, which `npm ci --prefix bench` installs
// after the root build has run; without it they type as `any` so the root build still passes.
// @ts-ignore: not installed when the root build runs first (@ts-expect-error would fail once it is)
import { Module } from '@nestjs/common';
// @ts-ignore: as above
import { Command, CommandFactory, CommandRunner } from 'nest-commander';

@Command({ name: 'hello', description: 'print a greeting' })
class HelloCommand extends CommandRunner {
  async run(): Promise<void> {
    process.stdout.write('Hello, world!\n');
  }
}

@Module({ providers: [HelloCommand] })
class AppModule {}

void CommandFactory.run(AppModule, { logger: ['warn', 'error'] });
