/**
 * A program that also runs under tsx (or another esbuild-based runner). Those
 * emit no decorator metadata, so nothing here is injected by its type: every
 * constructor parameter names what it wants with an explicit
 * `@inject(token)`. Compiled with tsc, the same file works unchanged.
 *
 *   TSX_TSCONFIG_PATH=tsconfig.test.json npx tsx samples/tsx/main.ts greet --name Ada
 *   node build/samples/tsx/main.js greet --name Ada
 *
 * tsx needs `"experimentalDecorators": true` from a tsconfig that includes the
 * file it runs: in this repository that is tsconfig.test.json (tsconfig.json
 * covers src/ only), hence TSX_TSCONFIG_PATH; in a project of your own, its
 * tsconfig.json. Import mortar before tsyringe: mortar installs the Reflect
 * metadata API that tsyringe checks for when it loads.
 */
import { App, Config, Controller, Expose, TOKENS, arg } from 'mortar';
import { inject, injectable } from 'tsyringe';

/** A service of the program's own, built by the container with its own injected dependency. */
@injectable()
class Greeter {
  constructor(@inject(TOKENS.config) private readonly config: Config) {}

  greet(name: string): string {
    return `${String(this.config.get('greeter', 'greeting'))}, ${name}!`;
  }
}

@Controller({ label: 'base', description: 'Greets, under tsx as under tsc.' })
class GreeterController {
  constructor(
    @inject(TOKENS.app) private readonly app: App,
    @inject(Greeter) private readonly greeter: Greeter,
  ) {}

  @Expose({ help: 'print a greeting', arguments: [arg(['-n', '--name'], { default: 'world', help: 'who to greet' })] })
  greet(args: { name: string }): void {
    this.app.stdout.write(`${this.greeter.greet(args.name)} (${this.app.label})\n`);
  }
}

void new App('greeter', {
  controllers: [GreeterController],
  configDefaults: { greeter: { greeting: 'Hello' } },
  configFiles: [],
}).main();
