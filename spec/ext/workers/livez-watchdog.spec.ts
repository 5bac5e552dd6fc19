/**
 * `/livez` of `[health] listen` and systemd's watchdog agree on a stalled
 * event loop: the spec listens on NOTIFY_SOCKET as systemd would, with
 * WATCHDOG_USEC set, and applies systemd's rule to the pings it receives (two
 * pings further apart than the period: systemd ends the service). A loop
 * blocked past the period gets no answer while blocked, then `/livez` 503 for
 * good, and the pings show the gap; a short block keeps both healthy. With
 * workers, both are about the primary: a worker's blocked loop stalls neither.
 */
import { expect } from 'chai';
import { useDaemonSandbox, waitUntil } from '../../helpers/daemon';
import { freePort, get, type Answer } from '../../helpers/http-load';
import { NotifyListener, notifyListenerUnavailable } from '../../helpers/operate';
import { resolve } from 'node:path';

const HTTP = resolve(__dirname, '../../fixtures/workers/http.js');
/** WatchdogSec=3: a ping every 1.5 s. */
const PERIOD_MS = 3000;

describe('/livez and the watchdog agree on a stalled event loop', function () {
  this.timeout(60_000);
  let systemd: NotifyListener | undefined;
  const sandbox = useDaemonSandbox({
    beforeCleanUp: () => {
      systemd?.close();
      systemd = undefined;
    },
  });

  before(function () {
    const reason = notifyListenerUnavailable();
    if (reason === undefined) return;
    process.stdout.write(`      (skipped: ${reason})\n`);
    this.skip();
  });

  /** The pings' arrival times, in ms of the monotonic clock. */
  function pings(): number[] {
    return systemd!.arrivals.filter((_, index) => systemd!.messages[index] === 'WATCHDOG=1');
  }

  /** The longest time between two pings received: systemd ends the service when it is over the period. */
  function longestGap(): number {
    const times = pings();
    return Math.max(0, ...times.slice(1).map((time, index) => time - times[index]));
  }

  const cases = [
    {
      workers: 1,
      blockMs: 300,
      isStalled: false,
      title: 'a loop blocked 0.3 s (under WatchdogSec=3): /livez 200, and no ping late',
    },
    {
      workers: 1,
      blockMs: 4500,
      isStalled: true,
      title:
        'a loop blocked 4.5 s (over WatchdogSec=3): no answer meanwhile, then /livez 503 for good, and the pings more than 3 s apart',
    },
    {
      workers: 2,
      blockMs: 4500,
      isStalled: false,
      title: "with workers, a worker's loop blocked 4.5 s: the primary's /livez 200, and its pings on time",
    },
  ];

  for (const { workers, blockMs, isStalled, title } of cases) {
    it(title, async () => {
      const port = await freePort();
      const health = await freePort();
      systemd = new NotifyListener(sandbox.path('notify.sock'));
      const invocation = sandbox.start(HTTP, ['serve'], {
        env: {
          PORT: String(port),
          MYAPP_DAEMON_WORKERS: String(workers),
          MYAPP_HEALTH_LISTEN: `127.0.0.1:${health}`,
          NOTIFY_SOCKET: systemd.address,
          WATCHDOG_USEC: String(PERIOD_MS * 1000),
        },
      });
      await systemd.waitFor(/^READY=1/, 20_000);
      await waitUntil(() => pings().length >= 2, 'two watchdog pings', 10_000);
      expect(await get(health, '/livez'), 'before').to.deep.equal({ status: 200, body: 'ok\n' });

      const blocked = get(port, `/block?ms=${blockMs}`, { timeoutMs: 20_000 });
      await new Promise((done) => setTimeout(done, 100));
      const asked = performance.now();
      let answeredAt = 0;
      const during: Promise<Answer> = get(health, '/livez', { timeoutMs: 20_000 }).then((answer) => {
        answeredAt = performance.now();
        return answer;
      });
      expect((await blocked).status, 'the blocking request').to.equal(200);
      const livez = await during;
      const pingsAfter = pings().length;
      await waitUntil(() => pings().length >= pingsAfter + 2, 'two more pings', 10_000);

      const wouldSystemdAct = longestGap() > PERIOD_MS;
      expect(
        wouldSystemdAct,
        `systemd's view: the longest time between two pings, ${longestGap().toFixed(0)} ms`,
      ).to.equal(isStalled);
      if (isStalled) {
        expect(answeredAt - asked, 'the /livez asked while the loop was blocked waited for it').to.be.above(3000);
        expect(livez.status, livez.body).to.equal(503);
        expect(livez.body).to.match(
          /^not live: the event loop stalled: no watchdog ping for \d+\.\d s, more than WatchdogSec=3 s\n$/,
        );
        expect((await get(health, '/livez')).status, 'later, the loop turning again: still').to.equal(503);
        expect(invocation.child.stderr).to.match(/^ERROR: the event loop stalled: .* systemd ends the service$/m);
      } else {
        expect(livez, livez.body).to.deep.equal({ status: 200, body: 'ok\n' });
        expect(await get(health, '/livez'), 'later').to.deep.equal({ status: 200, body: 'ok\n' });
      }
      invocation.child.kill('SIGTERM');
      const result = await sandbox.finish(invocation);
      expect(result.signal, result.stderr).to.equal('SIGTERM');
    });
  }
});
