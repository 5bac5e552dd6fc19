import { expect } from 'chai';
import { Logger } from 'mortar';
import type * as NotifyModule from '../../../dist/ext/daemon/systemd-notify';
import type * as WatchdogModule from '../../../dist/ext/systemd/watchdog';
import { requireDist } from '../../helpers/dist';
import { TextSink } from '../../helpers/streams';

const { SystemdNotifier } = requireDist<typeof NotifyModule>('ext/daemon/systemd-notify');
const { Watchdog } = requireDist<typeof WatchdogModule>('ext/systemd/watchdog');

describe("Watchdog.failure(): the stall detector /livez shares (systemd's rule)", () => {
  const log = new Logger('myapp', new TextSink());
  // No NOTIFY_SOCKET: the pings go nowhere, the timer runs all the same.
  const notifier = new SystemdNotifier(log, {});

  function started(): { watchdog: InstanceType<typeof Watchdog>; at: number } {
    const watchdog = new Watchdog(notifier, log, { WATCHDOG_USEC: '2000000' }, 4242);
    const at = performance.now();
    watchdog.start();
    return { watchdog, at };
  }

  it('is healthy up to the period since the last ping, and stalled past it, for good', () => {
    const { watchdog, at } = started();
    try {
      // The pings started at `at` or a moment later (a busy machine): every time here is measured from `at`.
      expect(watchdog.failure(at + 1000)).to.equal(undefined);
      expect(watchdog.failure(at + 1990)).to.equal(undefined);
      expect(watchdog.failure(at + 3500)).to.match(
        /^the event loop stalled: no watchdog ping for (3\.\d|2\.\d) s, more than WatchdogSec=2 s$/,
      );
      expect(watchdog.failure(at + 100), 'systemd does not take its verdict back').to.match(/stalled/);
    } finally {
      watchdog.stop();
    }
  });

  it('is never stalled when systemd does not watch the process', () => {
    const watchdog = new Watchdog(notifier, log, {}, 4242);
    watchdog.start();
    expect(watchdog.failure(performance.now() + 3_600_000)).to.equal(undefined);
  });

  it('reports a failing check as systemd hears it (WATCHDOG=trigger)', async () => {
    const watchdog = new Watchdog(notifier, log, { WATCHDOG_USEC: '2000000' }, 4242);
    watchdog.check(function database() {
      return false;
    });
    watchdog.start();
    try {
      await new Promise((done) => setImmediate(done));
      expect(watchdog.failure()).to.equal('watchdog check failed: database returned false');
      expect(watchdog.isRunning, 'the pings end').to.equal(false);
    } finally {
      watchdog.stop();
    }
  });
});
