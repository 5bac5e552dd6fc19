/**
 * As root, config files and plugins another account owns, or that lie under a
 * directory another account can change, are refused with one line before
 * anything of theirs runs: the spec plays `nobody`, whose files and home
 * enable a plugin that would leave a marker file.
 */
import { expect } from 'chai';
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcesses } from '../helpers/process';

const HOST = resolve(__dirname, '../fixtures/plugins/host.js');
const CONFIG_APP = resolve(__dirname, '../fixtures/core/config-app.js');
const NOBODY = 65534;

describe('trusted config and plugins as root', function () {
  const children = new ChildProcesses();
  let dir: string;
  let marker: string;

  beforeEach(function () {
    if (process.getuid?.() !== 0) {
      process.stdout.write('      (skipped: the checks guard what root reads; this run is not root)\n');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'mortar-trust-'));
    chmodSync(dir, 0o755);
    marker = join(dir, 'plugin-ran');
  });

  afterEach(async () => {
    await children.endAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A plugin file that leaves the marker when loaded, in `directory` (made if needed). */
  function plugin(directory: string, name = 'evil'): string {
    mkdirSync(directory, { recursive: true });
    const file = join(directory, `${name}.js`);
    writeFileSync(
      file,
      `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nexports.load = () => undefined;\n`,
      { mode: 0o644 },
    );
    return file;
  }

  /** A config file enabling the `evil` plugin. */
  function config(file: string, extra = ''): string {
    writeFileSync(file, `[plugin.evil]\nenabled = true\n${extra}`, { mode: 0o644 });
    return file;
  }

  function host(configFile: string, pluginDirs: string[]) {
    return children.runNode(HOST, ['hi'], {
      cwd: dir,
      env: { HOST_CONFIG: configFile, HOST_PLUGIN_DIRS: pluginDirs.join(':') },
    });
  }

  /** Checks a refusal: exit 1, exactly `line` on stderr, nothing on stdout, the plugin never ran. */
  function expectRefused(result: { code: number | null; stdout: string; stderr: string }, line: string): void {
    expect(result, 'how it ended').to.deep.include({ code: 1, stdout: '', stderr: `${line}\n` });
    expect(existsSync(marker), 'the plugin ran').to.equal(false);
  }

  it('loads a plugin root owns from root-owned directories, under a sticky one like /tmp', async () => {
    const plugins = join(dir, 'plugins');
    plugin(plugins);
    const result = await host(config(join(dir, 'host.conf')), [plugins]);
    expect(result, result.stderr).to.deep.include({ code: 0, stdout: 'hi\n' });
    expect(existsSync(marker), 'the plugin ran').to.equal(true);
  });

  it('refuses a config file another user owns', async () => {
    const plugins = join(dir, 'plugins');
    plugin(plugins);
    const file = config(join(dir, 'host.conf'));
    chownSync(file, NOBODY, NOBODY);
    expectRefused(
      await host(file, [plugins]),
      `host: error: Cannot read config file ${file}: ${file} belongs to uid ${NOBODY}, not to root (chown root ${file}).`,
    );
  });

  it('refuses a plugin file another user owns', async () => {
    const plugins = join(dir, 'plugins');
    const file = plugin(plugins);
    chownSync(file, NOBODY, NOBODY);
    expectRefused(
      await host(config(join(dir, 'host.conf')), [plugins]),
      `host: error: Plugin 'evil' (${file}) is not loaded: ${file} belongs to uid ${NOBODY}, not to root (chown root ${file}).`,
    );
  });

  it('refuses a [plugin] module another user owns', async () => {
    const file = plugin(join(dir, 'atk'));
    chownSync(file, NOBODY, NOBODY);
    expectRefused(
      await host(config(join(dir, 'host.conf'), `module = ${file}\n`), []),
      `host: error: Plugin 'evil' (${file}) is not loaded: ${file} belongs to uid ${NOBODY}, not to root (chown root ${file}).`,
    );
  });

  for (const [kind, mode, group] of [
    ['every user', 0o777, 0],
    [`group ${NOBODY}`, 0o775, NOBODY],
  ] as const) {
    it(`refuses a plugin under an ancestor directory writable by ${kind} without the sticky bit`, async () => {
      const open = join(dir, 'open');
      const file = plugin(join(open, 'app', 'plugins.d'));
      chownSync(open, 0, group);
      chmodSync(open, mode);
      const fix = mode === 0o777 ? `chmod o-w ${open}` : `chmod g-w ${open}`;
      expectRefused(
        await host(config(join(dir, 'host.conf')), [join(open, 'app', 'plugins.d')]),
        `host: error: Plugin 'evil' (${file}) is not loaded: directory ${open} is writable by ${kind} (${fix}).`,
      );
    });
  }

  it('refuses the config files of a HOME another user owns, even one root owns there: exit 1, the command never runs', async () => {
    const home = join(dir, 'home');
    mkdirSync(home);
    chownSync(home, NOBODY, NOBODY);
    const label = 'mortartrust';
    const file = join(home, `.${label}.conf`);
    writeFileSync(file, '[greeting]\ntext = from nobody\n', { mode: 0o644 });
    const result = await children.runNode(CONFIG_APP, ['show'], { cwd: dir, env: { CONFIG_LABEL: label, HOME: home } });
    expect(result, 'how it ended').to.deep.include({
      code: 1,
      stdout: '',
      stderr: `${label}: error: Cannot read config file ${file}: directory ${home} belongs to uid ${NOBODY}, not to root (chown root ${home}).\n`,
    });
  });

  it('refuses a config file reached through a symbolic link another user owns', async () => {
    const real = config(join(dir, 'real.conf'));
    const links = join(dir, 'links');
    mkdirSync(links);
    const link = join(links, 'host.conf');
    symlinkSync(real, link);
    lchownSync(link, NOBODY, NOBODY);
    plugin(join(dir, 'plugins'));
    expectRefused(
      await host(link, [join(dir, 'plugins')]),
      `host: error: Cannot read config file ${link}: ${link} is a symbolic link owned by uid ${NOBODY}, not by root.`,
    );
  });
});
