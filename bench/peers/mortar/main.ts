// mortar's `hello` written as the commander and clipanion peers are: the same description and
// version, output through process.stdout, and the config files searched as by default (no
// `configFiles`), as a program that does not think about start-up would be. Compiled by the root
// build into build/bench/peers/mortar/.
import { App, Controller, Expose } from 'mortar';

@Controller({ label: 'base', description: 'Says hello.' })
class HelloController {
  @Expose({ help: 'print a greeting' })
  hello(): void {
    process.stdout.write('Hello, world!\n');
  }
}

void new App('hello', { controllers: [HelloController], version: '1.0.0' }).main();
