/**
 * The smallest mortar program: one command.
 *
 *   node build/samples/hello/main.js hello
 *   node build/samples/hello/main.js hello --name Ada
 */
import { App, Controller, Expose, arg } from 'mortar';

@Controller({ label: 'base', description: 'Says hello.' })
class HelloController {
  constructor(private readonly app: App) {}

  @Expose({ help: 'print a greeting', arguments: [arg(['-n', '--name'], { default: 'world', help: 'who to greet' })] })
  hello(args: { name: string }): void {
    this.app.stdout.write(`Hello, ${args.name}!\n`);
  }
}

void new App('hello', { controllers: [HelloController], configFiles: [] }).main();
