import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as ReadinessModule from '../../../dist/ext/daemon/readiness';
import { requireDist } from '../../helpers/dist';

// The compiled library: this spec runs from build/spec/ext/daemon, the library lives in dist/.
const { ReadinessChannel, CHILD_MARKER } = requireDist<typeof ReadinessModule>('ext/daemon/readiness');

describe('ReadinessChannel.fromEnvironment (the daemon child end of the readiness pipe)', () => {
  let dir: string;
  let fifo: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-readiness-'));
    const path = join(dir, 'pipe');
    expect(spawnSync('mkfifo', [path]).status).to.equal(0);
    // Opened for reading and writing, a FIFO stands for the pipe without a second process.
    fifo = openSync(path, constants.O_RDWR);
  });

  afterEach(() => {
    closeSync(fifo);
    rmSync(dir, { recursive: true, force: true });
  });

  it('is none without the marker', () => {
    expect(ReadinessChannel.fromEnvironment({})).to.equal(undefined);
  });

  it('takes the marker out of the environment, so nothing the daemon starts inherits it', () => {
    const env: NodeJS.ProcessEnv = { [CHILD_MARKER]: String(fifo), OTHER: 'kept' };
    expect(ReadinessChannel.fromEnvironment(env)?.descriptor).to.equal(fifo);
    expect(env).to.deep.equal({ OTHER: 'kept' });
  });

  it("sends its pid early only to an invoker that is not its parent and asks for it (':pid')", () => {
    expect(ReadinessChannel.fromEnvironment({ [CHILD_MARKER]: String(fifo) })?.isPidWanted).to.equal(false);
    expect(ReadinessChannel.fromEnvironment({ [CHILD_MARKER]: `${fifo}:pid` })?.isPidWanted).to.equal(true);
  });

  it('ignores a marker that names no pipe: stdio, a regular file, a closed descriptor, garbage', () => {
    const file = openSync(join(dir, 'file'), 'w');
    try {
      writeFileSync(file, 'x');
      for (const value of ['1', String(file), '999', 'three', '3:pids', '']) {
        const env: NodeJS.ProcessEnv = { [CHILD_MARKER]: value };
        expect(ReadinessChannel.fromEnvironment(env), value).to.equal(undefined);
        expect(env, value).to.deep.equal({});
      }
    } finally {
      closeSync(file);
    }
  });
});
