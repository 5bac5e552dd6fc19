import { expect } from 'chai';
import { fstatSync } from 'node:fs';
import type * as ListenFdsModule from '../../../dist/ext/systemd/listen-fds';
import { requireDist } from '../../helpers/dist';

// The compiled library: this spec runs from build/spec/ext/systemd, the library lives in dist/.
const { takeListenFds, handOnListenFds } = requireDist<typeof ListenFdsModule>('ext/systemd/listen-fds');

describe('socket activation: the descriptors systemd passed (sd_listen_fds_with_names)', () => {
  it('takes LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES out of the environment, whatever they say', () => {
    for (const env of [
      { LISTEN_FDS: '1', LISTEN_PID: '1', LISTEN_FDNAMES: 'web', OTHER: 'x' },
      { LISTEN_FDS: 'two', LISTEN_PID: String(process.pid), OTHER: 'x' },
      { LISTEN_FDNAMES: 'web', OTHER: 'x' },
    ] as NodeJS.ProcessEnv[]) {
      takeListenFds(env, process.pid);
      expect(env).to.deep.equal({ OTHER: 'x' });
    }
  });

  it('finds none meant for another process (LISTEN_PID), or without LISTEN_PID unless handed on by --daemon', () => {
    expect(takeListenFds({ LISTEN_FDS: '1', LISTEN_PID: '1' }, 4242).size).to.equal(0);
    expect(takeListenFds({ LISTEN_FDS: '1' }, 4242).size).to.equal(0);
    expect(takeListenFds({ LISTEN_FDS: '0', LISTEN_PID: '4242' }, 4242).size).to.equal(0);
  });

  it('names them by LISTEN_FDNAMES from descriptor 3 on, `unknown` where a name is missing, several under one name', () => {
    // Descriptors 3, 4 and 5 are open in any Node process (libuv's own): what matters here is the naming.
    for (const fd of [3, 4, 5]) expect(() => fstatSync(fd), `descriptor ${fd} is open`).to.not.throw();
    const fds = takeListenFds({ LISTEN_FDS: '3', LISTEN_PID: '4242', LISTEN_FDNAMES: 'web:web' }, 4242);
    expect([...fds]).to.deep.equal([
      ['web', [3, 4]],
      ['unknown', [5]],
    ]);
    expect([...takeListenFds({ LISTEN_FDS: '1' }, 4242, true)]).to.deep.equal([['unknown', [3]]]);
  });

  it('hands them on to a daemon child at the same numbers, names in descriptor order, without LISTEN_PID', () => {
    const fds = new Map([
      ['admin', [5]],
      ['web', [3, 4]],
    ]);
    expect(handOnListenFds(fds)).to.deep.equal({
      env: { LISTEN_FDS: '3', LISTEN_FDNAMES: 'web:web:admin' },
      descriptors: [3, 4, 5],
    });
    expect(handOnListenFds(new Map())).to.deep.equal({ env: {}, descriptors: [] });
  });
});
