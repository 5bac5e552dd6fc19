/**
 * A plugin for the myapp sample: it adds a `greet` command to the installed
 * program without a change to it. An operator enables it in config:
 *
 *   [plugin.greet]
 *   enabled = true
 *   greeting = Good morning
 *
 * and myapp loads `greet.js` from its plugin directories (the sample's own
 * build/samples/myapp/plugins, then /etc/myapp/plugins.d):
 *
 *   node build/samples/myapp/main.js greet Ada     # Good morning, Ada!
 *
 * A plugin is a CommonJS module exporting `load(app)` (and optionally a
 * `name`); `require('mortar')` in it is the app's own mortar.
 */
import { App, Controller, Expose, arg } from 'mortar';

@Controller({ label: 'greet', stackedOn: 'base', stackedType: 'embedded' })
class GreetController {
  constructor(private readonly app: App) {}

  @Expose({
    help: 'greet someone (the greet plugin)',
    arguments: [arg('name', { default: 'world', help: 'who to greet' })],
  })
  greet(args: { name: string }): string {
    return `${String(this.app.config.get('plugin.greet', 'greeting'))}, ${args.name}!`;
  }
}

export const name = 'greet';

export function load(app: App): void {
  // A default: whatever the config files say wins.
  app.config.merge({ 'plugin.greet': { greeting: 'Hello' } }, { override: false });
  app.addController(GreetController);
}
