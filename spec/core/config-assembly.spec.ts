/**
 * The config assembly on its own, behind the narrow target it needs (no App):
 * precedence at setup, and a reload that reads the same files and keeps the
 * previous config when a check fails.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Config, FrameworkError, Logger } from 'mortar';
import type * as ConfigAssemblyModule from '../../dist/core/config-assembly';
import { requireDist } from '../helpers/dist';

const { ConfigAssembly } = requireDist<typeof ConfigAssemblyModule>('core/config-assembly');

describe('ConfigAssembly', () => {
  let dir: string;
  let file: string;
  const saved = process.env.ASSEMBLED_BASE_PORT;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-assembly-'));
    file = join(dir, 'assembled.conf');
    delete process.env.ASSEMBLED_BASE_PORT;
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    if (saved === undefined) delete process.env.ASSEMBLED_BASE_PORT;
    else process.env.ASSEMBLED_BASE_PORT = saved;
  });

  function assembly(): { config: Config; build: InstanceType<typeof ConfigAssembly> } {
    const config = new Config();
    const log = new Logger('assembled', () => new PassThrough());
    const target = { label: 'assembled', config, log, controllers: [] };
    const build = new ConfigAssembly(target, {
      configDefaults: { base: { port: 1, host: 'code' } },
      configFiles: [file],
    });
    return { config, build };
  }

  it('puts code defaults under the files and the environment over both', () => {
    writeFileSync(file, '[base]\nport = 2\nhost = file\n');
    process.env.ASSEMBLED_BASE_PORT = '3';
    const { config, build } = assembly();
    expect(build.assemble()).to.deep.equal(['base.port']);
    expect(config.get('base', 'port')).to.equal('3');
    expect(config.get('base', 'host')).to.equal('file');
    expect(config.get('log', 'level')).to.equal('info');
  });

  it('reloads the same file, and keeps the previous config when a check throws', () => {
    writeFileSync(file, '[base]\nport = 2\n');
    const { config, build } = assembly();
    build.assemble();
    writeFileSync(file, '[base]\nport = 4\n');
    let applied = 0;
    build.reload(() => applied++);
    expect(config.get('base', 'port')).to.equal('4');
    expect(applied).to.equal(1);

    writeFileSync(file, '[base]\nport = 5\n');
    build.addCheck((next) => {
      if (next.get('base', 'port') === '5') throw new FrameworkError('port 5 is taken');
    });
    expect(() => build.reload(() => applied++)).to.throw('port 5 is taken');
    expect(config.get('base', 'port')).to.equal('4');
    expect(applied).to.equal(1);
  });
});
