import { expect } from 'chai';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Controller, Expose, type AppOptions } from 'mortar';
import { runApp, withConfig } from 'mortar/testing';
import { ChildProcesses } from '../helpers/process';

const HOST = resolve(__dirname, '../fixtures/plugins/host.js');
const GREET = resolve(__dirname, '../../samples/myapp/plugins/greet.js');

/** A plugin that appends its name to `[t] loaded` when loaded. */
function recorder(name: string): string {
  return `exports.load = (app) => app.config.set('t', 'loaded', (app.config.get('t', 'loaded') || '') + '${name} ');\n`;
}

/** A plugin adding an embedded controller with a `ping` command, written against the app's mortar. */
const PING = `
const { Controller, Expose } = require('mortar');
class Ping { ping() { return 'pong'; } }
Expose({ help: 'answer pong (a plugin)' })(Ping.prototype, 'ping');
Controller({ label: 'ping', stackedType: 'embedded', configDefaults: { reply: 'pong' } })(Ping);
exports.name = 'ping';
exports.load = (app) => {
  app.addController(Ping);
  app.config.merge({ 'plugin.ping': { color: 'blue' } }, { override: false });
  app.hooks.register('post_setup', () => app.log.info('ping plugin ready'));
};
`;

@Controller({ label: 'base' })
class Base {
  @Expose()
  hi(): string {
    return 'hi';
  }
}

describe('plugins', () => {
  let dir: string;
  let plugins: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-plugins-'));
    plugins = join(dir, 'plugins.d');
    mkdirSync(plugins);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes plugin files into a directory (the spec's plugins.d by default). */
  function write(files: Record<string, string>, where = plugins): void {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(where, name), text);
  }

  function run(config: string, argv: string[], options: AppOptions = {}) {
    return runApp('t', { controllers: [Base], pluginDirs: [plugins], ...withConfig(config), ...options }, argv);
  }

  describe('loading', () => {
    it('loads NAME.js for [plugin.NAME] enabled = true; the plugin adds a controller, config defaults and hooks', async () => {
      write({ 'ping.js': PING });
      const { code, stdout, stderr, app } = await run('[plugin.ping]\nenabled = true\n', ['ping']);
      expect({ code, stdout, stderr }).to.deep.equal({
        code: 0,
        stdout: 'pong\n',
        stderr: 'INFO: ping plugin ready\n',
      });
      expect(app.hasExtension('ping')).to.equal(true);
      expect(app.config.get('plugin.ping', 'color')).to.equal('blue');
      expect(app.config.get('ping', 'reply')).to.equal('pong');
      expect((await run('[plugin.ping]\nenabled = true\n', ['--help'])).stdout).to.match(
        /\n {2}ping +answer pong \(a plugin\)\n/,
      );
    });

    it('puts what a plugin adds under the config files, and keeps it when the config is reloaded', async () => {
      write({ 'ping.js': PING });
      const config = '[plugin.ping]\nenabled = true\ncolor = red\n\n[ping]\nreply = PONG\n';
      const { app } = await run(config, ['ping']);
      expect([app.config.get('plugin.ping', 'color'), app.config.get('ping', 'reply')]).to.deep.equal(['red', 'PONG']);
      app.reloadConfig();
      expect([app.config.get('plugin.ping', 'color'), app.config.get('ping', 'reply')]).to.deep.equal(['red', 'PONG']);
    });

    it('takes yes/no, on/off and 1/0 for enabled, as Cement does; a section without enabled loads nothing', async () => {
      write({ 'a.js': recorder('a'), 'b.js': recorder('b'), 'c.js': recorder('c'), 'd.js': recorder('d') });
      const config =
        '[plugin.a]\nenabled = yes\n[plugin.b]\nenabled = off\n[plugin.c]\nenabled = 1\n[plugin.d]\ngreeting = hi\n';
      const { code, app } = await run(config, ['hi']);
      expect(code).to.equal(0);
      expect(app.config.get('t', 'loaded')).to.equal('a c ');
    });

    it('loads them in name order, whatever the order of the sections', async () => {
      write({ 'b.js': recorder('b'), 'a.js': recorder('a'), 'c-2.js': recorder('c-2') });
      const { app } = await run(
        '[plugin.c-2]\nenabled = true\n[plugin.b]\nenabled = true\n[plugin.a]\nenabled = true\n',
        ['hi'],
      );
      expect(app.config.get('t', 'loaded')).to.equal('a b c-2 ');
    });

    it('takes the file from the last directory that has it', async () => {
      const other = join(dir, 'other');
      mkdirSync(other);
      write({ 'x.js': recorder('first') });
      write({ 'x.js': recorder('last') }, other);
      const { app } = await run('[plugin.x]\nenabled = true\n', ['hi'], {
        pluginDirs: [plugins, join(dir, 'missing'), other],
      });
      expect(app.config.get('t', 'loaded')).to.equal('last ');
    });

    it('loads what [plugin.NAME] module names by absolute path, and its default export', async () => {
      const file = join(dir, 'elsewhere.js');
      writeFileSync(
        file,
        `exports.default = { name: 'elsewhere', load: (app) => app.config.set('t', 'loaded', 'by path') };\n`,
      );
      const { app } = await run(`[plugin.x]\nenabled = true\nmodule = ${file}\n`, ['hi']);
      expect(app.config.get('t', 'loaded')).to.equal('by path');
      expect(app.hasExtension('elsewhere')).to.equal(true);
    });

    it('loads a .cjs file, and an ES module that needs nothing of mortar where Node can require() it', async () => {
      const cjs = join(dir, 'common.cjs');
      writeFileSync(cjs, recorder('cjs'));
      expect(
        (await run(`[plugin.common]\nenabled = true\nmodule = ${cjs}\n`, ['hi'])).app.config.get('t', 'loaded'),
      ).to.equal('cjs ');
      const esm = join(dir, 'plain.mjs');
      writeFileSync(esm, "export function load(app) { app.config.set('t', 'loaded', 'esm'); }\n");
      const { code, app, stderr } = await run(`[plugin.plain]\nenabled = true\nmodule = ${esm}\n`, ['hi']);
      if ((process.features as { require_module?: boolean }).require_module) {
        expect(code, stderr).to.equal(0);
        expect(app.config.get('t', 'loaded')).to.equal('esm');
      } else {
        expect(stderr).to.contain('it is an ES module, and plugins must be CommonJS');
      }
    });

    it('searches no directory when nothing is enabled', async () => {
      const { code } = await run('[plugin.ghost]\nenabled = false\n', ['hi'], {
        pluginDirs: [join(dir, 'no-such-dir')],
      });
      expect(code).to.equal(0);
    });
  });

  describe('a plugin that cannot be loaded', () => {
    /** Runs with the config and expects exit 1 with exactly that one line on stderr (`{file}`: the config file) and no output. */
    async function expectFailure(config: string, message: string): Promise<void> {
      const options = withConfig(config);
      const { code, stdout, stderr } = await runApp('t', { controllers: [Base], pluginDirs: [plugins], ...options }, [
        'hi',
      ]);
      const line = message.replace('{file}', options.configFiles[0]);
      expect({ code, stdout, stderr }).to.deep.equal({ code: 1, stdout: '', stderr: `t: error: ${line}\n` });
    }

    it('is one line naming the plugin and the file, for a syntax error, a throwing load() or no load() at all', async () => {
      write({
        'broken.js': 'exports.load = (app) => {\n',
        'throws.js': "exports.load = () => { throw new Error('no database'); };\n",
        'empty.js': 'exports.x = 1;\n',
      });
      await expectFailure(
        '[plugin.broken]\nenabled = true\n',
        `Plugin 'broken' (${join(plugins, 'broken.js')}) failed to load: SyntaxError: Unexpected end of input`,
      );
      await expectFailure(
        '[plugin.throws]\nenabled = true\n',
        `Plugin 'throws' (${join(plugins, 'throws.js')}) failed to load: Error: no database`,
      );
      await expectFailure(
        '[plugin.empty]\nenabled = true\n',
        `Plugin 'empty' (${join(plugins, 'empty.js')}) failed to load: it exports no load(app) function`,
      );
    });

    it('says that plugins must be CommonJS, and why, for an ES module that imports mortar or awaits at its top level', async () => {
      const imports = join(dir, 'imports.mjs');
      const awaits = join(dir, 'awaits.mjs');
      writeFileSync(
        imports,
        "import { App } from 'mortar';\nexport function load(app) { return app instanceof App; }\n",
      );
      writeFileSync(awaits, 'await null;\nexport function load() {}\n');
      const why =
        "it is an ES module, and plugins must be CommonJS (module.exports, require()): mortar loads a plugin with require() so that require('mortar') " +
        "in it is the app's own mortar wherever the file lies, which an import cannot reach";
      const fix = '; compile it to CommonJS (tsc "module": "commonjs") or write it as a .cjs file';
      await expectFailure(
        `[plugin.imports]\nenabled = true\nmodule = ${imports}\n`,
        `Plugin 'imports' (${imports}) failed to load: ${why}${fix}`,
      );
      await expectFailure(
        `[plugin.awaits]\nenabled = true\nmodule = ${awaits}\n`,
        `Plugin 'awaits' (${awaits}) failed to load: ${why} (and require() cannot load a module with top-level await)${fix}`,
      );
    });

    it('names the directories searched when the file is in none of them', async () => {
      await expectFailure(
        '[plugin.nope]\nenabled = true\n',
        `Plugin 'nope' is enabled in [plugin.nope] but there is no nope.js in ${plugins}.`,
      );
    });

    it('refuses a file or a directory every user may write to', async () => {
      write({ 'open.js': recorder('open') });
      chmodSync(join(plugins, 'open.js'), 0o666);
      await expectFailure(
        '[plugin.open]\nenabled = true\n',
        `Plugin 'open' (${join(plugins, 'open.js')}) is not loaded: ${join(plugins, 'open.js')} is writable by every user (chmod o-w ${join(plugins, 'open.js')}).`,
      );
      chmodSync(join(plugins, 'open.js'), 0o644);
      chmodSync(plugins, 0o777);
      await expectFailure(
        '[plugin.open]\nenabled = true\n',
        `Plugin 'open' (${join(plugins, 'open.js')}) is not loaded: directory ${plugins} is writable by every user (chmod o-w ${plugins}).`,
      );
    });

    it('refuses a load_timeout that is not a number of seconds above 0', async () => {
      write({ 'p.js': recorder('p') });
      for (const value of ['0', '-1', 'soon', 'inf', '9999999']) {
        await expectFailure(
          `[plugin.p]\nenabled = true\nload_timeout = ${value}\n`,
          `Invalid [plugin.p] load_timeout '${value}' ({file}, line 3): ${/^-?\d+$/.test(value) ? 'use seconds, more than 0 and at most 2147483' : 'expected a number'}.`,
        );
      }
    });

    it('refuses an enabled value it cannot read, a name that is not a file name, and a relative module', async () => {
      await expectFailure(
        '[plugin.x]\nenabled = maybe\n',
        "Invalid [plugin.x] enabled 'maybe' ({file}, line 2): expected true or false (or yes/no, on/off, 1/0).",
      );
      await expectFailure(
        '[plugin.../x]\nenabled = true\n',
        "Invalid plugin name '../x' in [plugin.../x]: use letters, digits, '_' and '-'.",
      );
      await expectFailure(
        '[plugin.x]\nenabled = true\nmodule = ./x.js\n',
        "Invalid [plugin.x] module './x.js' ({file}, line 3): use a package name or an absolute path.",
      );
      await expectFailure(
        '[plugin.x]\nenabled = true\nmodule = no-such-package-for-mortar\n',
        `Plugin 'x': cannot find module 'no-such-package-for-mortar' (from [plugin.x] module) from ${resolve(require.main!.filename, '..')}.`,
      );
    });
  });

  describe('as a user sees it', () => {
    const children = new ChildProcesses();
    afterEach(() => children.endAll());

    /** Runs the host fixture with a config file holding `config` and the spec's plugin directory. */
    function host(config: string, argv: string[], env: Record<string, string> = {}) {
      const file = join(dir, 'host.conf');
      writeFileSync(file, config);
      return children.runNode(HOST, argv, { cwd: dir, env: { HOST_CONFIG: file, HOST_PLUGIN_DIRS: plugins, ...env } });
    }

    it("runs the myapp sample plugin from a plugin directory of its own, with require('mortar') working there", async () => {
      copyFileSync(GREET, join(plugins, 'greet.js'));
      expect(await host('[plugin.greet]\nenabled = true\ngreeting = Good morning\n', ['greet', 'Ada'])).to.deep.include(
        {
          code: 0,
          stdout: 'Good morning, Ada!\n',
          stderr: '',
        },
      );
      expect((await host('[plugin.greet]\nenabled = true\n', ['greet'])).stdout).to.equal('Hello, world!\n');
      const help = await host('[plugin.greet]\nenabled = true\n', ['--help']);
      expect(help.stdout).to.match(/\n {2}greet +greet someone \(the greet plugin\)\n/);
      expect((await host('[plugin.greet]\nenabled = false\n', ['greet'])).code).to.equal(2);
    });

    it('shows each plugin loaded with --debug', async () => {
      copyFileSync(GREET, join(plugins, 'greet.js'));
      const { code, stderr } = await host('[plugin.greet]\nenabled = true\n', ['greet', '--debug']);
      expect(code).to.equal(0);
      expect(stderr).to.match(
        new RegExp(`\\(DEBUG\\) host\\.core\\.plugin : loading plugin 'greet' from ${join(plugins, 'greet.js')}\\n`),
      );
    });

    it('lets the environment enable a plugin whose section a config file has', async () => {
      copyFileSync(GREET, join(plugins, 'greet.js'));
      const result = await host('[plugin.greet]\nenabled = false\n', ['greet', 'Bob'], {
        HOST_PLUGIN_GREET_ENABLED: 'true',
        HOST_PLUGIN_GREET_GREETING: 'Hi',
      });
      expect(result).to.deep.include({ code: 0, stdout: 'Hi, Bob!\n' });
    });

    it('finds a package [plugin.NAME] module names from the program, never from the working directory', async () => {
      const marker = join(dir, 'planted-ran');
      mkdirSync(join(dir, 'node_modules', 'host-plugin-hello'), { recursive: true });
      writeFileSync(
        join(dir, 'node_modules', 'host-plugin-hello', 'index.js'),
        `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nexports.load = () => undefined;\n`,
      );
      const planted = await host('[plugin.hello]\nenabled = true\nmodule = host-plugin-hello\n', ['hi']);
      expect(planted).to.deep.include({
        code: 1,
        stdout: '',
        stderr: `host: error: Plugin 'hello': cannot find module 'host-plugin-hello' (from [plugin.hello] module) from ${dirname(HOST)}.\n`,
      });
      expect(existsSync(marker), 'the planted package ran').to.equal(false);
      // tsyringe is found where the program's own packages are (and is no plugin).
      const found = await host('[plugin.di]\nenabled = true\nmodule = tsyringe\n', ['hi']);
      expect(found.stderr).to.match(
        /^host: error: Plugin 'di' \(\/.*\/node_modules\/tsyringe\/.*\) failed to load: it exports no load\(app\) function\n$/,
      );
    });

    it('fails with one line naming the plugin, exit 1, when its load() waits past [plugin.NAME] load_timeout on a timer', async () => {
      write({ 'slow.js': 'exports.load = () => new Promise((resolve) => setTimeout(resolve, 60_000));\n' });
      const started = Date.now();
      const result = await host('[plugin.slow]\nenabled = true\nload_timeout = 0.5\n', ['hi']);
      expect(result).to.deep.include({
        code: 1,
        stdout: '',
        stderr:
          `host: error: Plugin 'slow' (${join(plugins, 'slow.js')}) failed to load: its load() did not settle within 0.5 s: ` +
          'fix it, or give it longer with [plugin.slow] load_timeout (seconds).\n',
      });
      expect(Date.now() - started, "ended by the timeout, not by the plugin's timer").to.be.below(30_000);
    });

    it('gives a load() 5 seconds by default', async function () {
      this.timeout(30_000);
      write({ 'slow.js': 'exports.load = () => new Promise((resolve) => setTimeout(resolve, 60_000));\n' });
      const result = await host('[plugin.slow]\nenabled = true\n', ['hi']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(
        /^host: error: Plugin 'slow' \(.*\) failed to load: its load\(\) did not settle within 5 s: /,
      );
    });

    it('loads a plugin whose load() takes a while but less than its load_timeout', async () => {
      write({
        'patient.js':
          "exports.load = (app) => new Promise((resolve) => setTimeout(resolve, 300)).then(() => app.log.info('loaded'));\n",
      });
      const result = await host('[plugin.patient]\nenabled = true\nload_timeout = 20\n', ['hi']);
      expect(result).to.deep.include({ code: 0, stdout: 'hi\n', stderr: 'INFO: loaded\n' });
    });

    it('fails with one line naming the plugin, exit 1, at once, when its load() waits on nothing at all', async () => {
      write({ 'stuck.js': 'exports.load = () => new Promise(() => {});\n' });
      const result = await host('[plugin.stuck]\nenabled = true\nload_timeout = 600\n', ['hi']);
      expect(result).to.deep.include({
        code: 1,
        stdout: '',
        stderr:
          "host: error: plugin 'stuck' load() never settled: it is waiting on a promise that nothing will settle.\n",
      });
    });

    it('fails with one line, exit 1, no stack trace, when a plugin is broken', async () => {
      writeFileSync(join(plugins, 'broken.js'), "throw new TypeError('cannot start');\n");
      const result = await host('[plugin.broken]\nenabled = true\n', ['hi']);
      expect(result).to.deep.include({
        code: 1,
        stdout: '',
        stderr: `host: error: Plugin 'broken' (${join(plugins, 'broken.js')}) failed to load: TypeError: cannot start\n`,
      });
    });
  });
});
