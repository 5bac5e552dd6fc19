/**
 * The reload protocol (sd_notify(3), Type=notify-reload): on SIGHUP a daemon
 * under NOTIFY_SOCKET sends RELOADING=1 with MONOTONIC_USEC= (the monotonic
 * clock when the reload began), reloads, then READY=1; a failed reload sends
 * STATUS=reload failed: … and READY=1, keeping its old config. systemd 252
 * rejects Type=notify-reload, so the messages are received on a socket of the
 * spec's own; `systemctl reload` of Type=notify units is in systemd-units.spec.ts.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { MYAPP, useDaemonSandbox } from '../../helpers/daemon';
import { NotifyListener, notifyListenerUnavailable, waitForText } from '../../helpers/operate';

/** CLOCK_MONOTONIC now, in µs, as systemd reads it (process.hrtime is that clock on Linux). */
function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

describe('the reload protocol on SIGHUP (RELOADING=1, MONOTONIC_USEC=, READY=1)', function () {
  let systemd: NotifyListener | undefined;

  before(function () {
    const reason = notifyListenerUnavailable();
    if (reason === undefined) return;
    process.stdout.write(`      (skipped: ${reason})\n`);
    this.skip();
  });

  // Registered first, so its processes are ended before the listener below is closed.
  const sandbox = useDaemonSandbox();

  afterEach(() => {
    systemd?.close();
    systemd = undefined;
  });

  /** The reload's messages, checked: RELOADING=1 with a MONOTONIC_USEC taken between `before` and `after`. */
  function expectReloading(message: string, before: bigint, after: bigint): void {
    const match = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(message);
    expect(match, `the reload's first message: ${JSON.stringify(message)}`).to.not.equal(null);
    expect(
      BigInt(match![1]) >= before && BigInt(match![1]) <= after,
      `MONOTONIC_USEC ${match![1]} between ${before} and ${after}`,
    ).to.equal(true);
  }

  for (const detach of [false, true]) {
    it(`${detach ? 'with --daemon, the daemon' : 'in the foreground, the process'} sends them in order around each reload`, async () => {
      const socket = (systemd = new NotifyListener(sandbox.path('notify.sock')));
      const config = sandbox.path('myapp.conf');
      writeFileSync(config, '[myapp]\nmotd = first\n');
      const env = { NOTIFY_SOCKET: socket.address, MYAPP_CONFIG: config, MYAPP_LOG_FILE: sandbox.path('myapp.log') };
      let pid: number;
      if (detach) {
        const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env });
        expect(started.code, started.stderr).to.equal(0);
        pid = sandbox.daemonPid();
      } else {
        const invocation = sandbox.start(MYAPP, ['run-forever'], { env });
        await invocation.child.waitForOutput(/^1$/m);
        pid = invocation.child.pid;
      }
      await socket.waitFor(/^READY=1\nMAINPID=/);
      const ready = socket.states.length;

      const before = monotonicUsec();
      sandbox.signal(pid, 'SIGHUP');
      await waitUntilStates(socket, ready + 2);
      const after = monotonicUsec();
      const [reloading, done] = socket.states.slice(ready);
      expectReloading(reloading, before, after);
      expect(done, "the reload's last message").to.equal('READY=1');

      // A config file that is now malformed: the reload fails, the old config stays, systemd is told why.
      writeFileSync(config, '[myapp]\nmotd\n');
      const before2 = monotonicUsec();
      sandbox.signal(pid, 'SIGHUP');
      await waitUntilStates(socket, ready + 4);
      const after2 = monotonicUsec();
      const [reloading2, failed] = socket.states.slice(ready + 2);
      expectReloading(reloading2, before2, after2);
      expect(failed).to.match(/^STATUS=reload failed: Malformed config file \S+myapp\.conf, line 2: .*\nREADY=1$/);
      await waitForText(sandbox.path('myapp.log'), /reload failed: Malformed config file/);
    });
  }

  it('reloads as before without NOTIFY_SOCKET, sending nothing', async () => {
    const socket = (systemd = new NotifyListener(sandbox.path('notify.sock')));
    const invocation = sandbox.start(MYAPP, ['run-forever'], { env: { MYAPP_LOG_FILE: sandbox.path('myapp.log') } });
    await invocation.child.waitForOutput(/^1$/m);
    sandbox.signal(invocation.child.pid, 'SIGHUP');
    await waitForText(sandbox.path('myapp.log'), /configuration reloaded$/m);
    expect(socket.messages).to.deep.equal([]);
  });
});

async function waitUntilStates(socket: NotifyListener, count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (socket.states.length < count) {
    if (Date.now() > deadline)
      throw new Error(`expected ${count} notifications, received ${JSON.stringify(socket.states)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
