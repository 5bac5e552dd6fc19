import { expect } from 'chai';
import { Logger } from 'mortar';
import type * as SystemdNotifyModule from '../../../dist/ext/daemon/systemd-notify';
import { TextSink } from '../../helpers/streams';
import { requireDist } from '../../helpers/dist';

// The compiled library: this spec runs from build/spec/ext/daemon, the library lives in dist/.
const { SystemdNotifier } = requireDist<typeof SystemdNotifyModule>('ext/daemon/systemd-notify');

describe('SystemdNotifier', () => {
  let stderr: TextSink;
  let log: Logger;

  beforeEach(() => {
    stderr = new TextSink();
    log = new Logger('myapp', stderr);
  });

  it('takes NOTIFY_SOCKET out of the environment, so children do not inherit it', () => {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', OTHER: 'x' };
    const notifier = new SystemdNotifier(log, env);
    expect(notifier.socket).to.equal('/run/systemd/notify');
    expect(env).to.deep.equal({ OTHER: 'x' });
  });

  it('sends nothing and says nothing without NOTIFY_SOCKET', () => {
    const notifier = new SystemdNotifier(log, {});
    expect(notifier.notify('READY=1')).to.equal(false);
    expect(stderr.text).to.equal('');
  });

  it('warns once, at the default log level, that it cannot notify an abstract socket: the unit would time out unexplained', () => {
    const notifier = new SystemdNotifier(log, { NOTIFY_SOCKET: '@mortar-spec' });
    expect(notifier.notify('READY=1', 'MAINPID=42')).to.equal(false);
    expect(notifier.notify('STOPPING=1')).to.equal(false);
    expect(stderr.lines).to.deep.equal([
      'WARNING: NOTIFY_SOCKET @mortar-spec is an abstract socket name, which mortar cannot send to: not telling systemd ' +
        'READY=1 MAINPID=42, so a Type=notify unit waits until its start times out; use Type=simple.',
    ]);
  });
});
