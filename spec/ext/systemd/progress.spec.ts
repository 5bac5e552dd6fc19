/**
 * Start and stop progress under a real systemd: `EXTEND_TIMEOUT_USEC=`
 * heartbeats carry a slow start past a short TimeoutStartSec (in the
 * foreground, with --daemon, and under Type=forking with NotifyAccess=all,
 * where the watchdog is fed too) and a slow shutdown past a short
 * TimeoutStopSec; a start that hangs fails at `[daemon] start_timeout`;
 * `app.status()` is what `systemctl status` shows; a failed start leaves
 * mortar's one line as the status.
 */
import { expect } from 'chai';
import { addSupervisedUnit, bootOrSkip, type SupervisedUnitOptions } from '../../helpers/supervised';
import type { SystemdSandbox } from '../../helpers/systemd';

describe('start and stop progress, under a real systemd', function () {
  this.timeout(90_000);
  let systemd: SystemdSandbox | undefined;
  const added: string[] = [];

  before(async function () {
    systemd = await bootOrSkip(this);
  });

  after(async () => {
    await systemd?.shutDown();
  });

  afterEach(async () => {
    for (const name of added.splice(0)) await systemd?.ctl('stop', name);
  });

  async function add(options: SupervisedUnitOptions): Promise<string> {
    const unit = await addSupervisedUnit(systemd!, options);
    added.push(unit.name);
    return unit.name;
  }

  for (const detach of [false, true]) {
    it(`TimeoutStartSec=2 with a 6 s start-up hook: active${detach ? ' (--daemon)' : ''}`, async () => {
      const name = await add({
        type: 'notify',
        detach,
        directives: ['TimeoutStartSec=2'],
        env: { START_DELAY_MS: '6000' },
      });
      const start = await systemd!.ctl('start', name);
      const shown = await systemd!.show(name, 'ActiveState', 'SubState', 'Result');
      expect(
        [start.code, shown.ActiveState, shown.SubState, shown.Result],
        `${start.stderr}\n${await systemd!.journal(name)}`,
      ).to.deep.equal([0, 'active', 'running', 'success']);
    });
  }

  it('Type=forking, NotifyAccess=all, TimeoutStartSec=2 with a 6 s start-up hook: active, and the watchdog is fed', async () => {
    const name = await add({
      type: 'forking',
      directives: ['TimeoutStartSec=2', 'NotifyAccess=all', 'WatchdogSec=2', 'Restart=on-watchdog'],
      env: { START_DELAY_MS: '6000' },
    });
    const start = await systemd!.ctl('start', name);
    const started = await systemd!.show(name, 'ActiveState', 'SubState', 'Result', 'MainPID');
    expect(
      [start.code, started.ActiveState, started.SubState, started.Result],
      `${start.stderr}\n${await systemd!.journal(name)}`,
    ).to.deep.equal([0, 'active', 'running', 'success']);
    // Three watchdog periods later the same daemon still runs: its pings reach systemd.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const later = await systemd!.show(name, 'ActiveState', 'Result', 'MainPID', 'NRestarts');
    expect(later, await systemd!.journal(name)).to.deep.equal({
      ActiveState: 'active',
      Result: 'success',
      MainPID: started.MainPID,
      NRestarts: '0',
    });
  });

  it('TimeoutStartSec=2 with 4 s between daemonize() and a manual ready(): active', async () => {
    const name = await add({ type: 'notify', directives: ['TimeoutStartSec=2'], env: { READY_DELAY_MS: '4000' } });
    const start = await systemd!.ctl('start', name);
    expect(start.code, `${start.stderr}\n${await systemd!.journal(name)}`).to.equal(0);
    expect((await systemd!.show(name, 'ActiveState')).ActiveState).to.equal('active');
  });

  it('a start that hangs fails at [daemon] start_timeout (5 s), past TimeoutStartSec=2', async () => {
    const name = await add({
      type: 'notify',
      directives: ['TimeoutStartSec=2'],
      env: { NEVER_READY: '1', SUPERVISED_DAEMON_START_TIMEOUT: '5' },
    });
    const began = Date.now();
    const start = await systemd!.ctl('start', name);
    const elapsed = Date.now() - began;
    const shown = await systemd!.show(name, 'ActiveState', 'Result');
    const journal = await systemd!.journal(name);
    expect([start.code === 0, shown.ActiveState, shown.Result], journal).to.deep.equal([false, 'failed', 'timeout']);
    expect(elapsed, 'ms until the start failed: past TimeoutStartSec, at the ceiling').to.be.within(4500, 15_000);
    expect(journal).to.match(
      /still not ready \d s after starting: systemd's timeout is extended no further than \[daemon\] start_timeout \(5 s\)/,
    );
  });

  it('TimeoutStopSec=2 with a 5 s pre_close hook: stops cleanly, no SIGKILL', async () => {
    const name = await add({ type: 'notify', directives: ['TimeoutStopSec=2'], env: { STOP_DELAY_MS: '5000' } });
    await systemd!.ctlOk('start', name);
    await systemd!.ctlOk('stop', name);
    const shown = await systemd!.show(name, 'ActiveState', 'Result');
    const journal = await systemd!.journal(name);
    expect([shown.ActiveState, shown.Result], journal).to.deep.equal(['inactive', 'success']);
    expect(journal)
      .to.match(/closing slowly/)
      .and.not.match(/SIGKILL|timed out/);
  });

  it('systemctl show -p StatusText shows the text given to app.status()', async () => {
    const name = await add({ type: 'notify', env: { STATUS_TEXT: 'serving 3 queues' } });
    await systemd!.ctlOk('start', name);
    const shown = await systemd!.waitForShow(name, ['StatusText'], (values) => values.StatusText !== '', 5000);
    expect(shown.StatusText).to.equal('serving 3 queues');
  });

  it("a start that fails leaves mortar's one line as the status", async () => {
    const name = await add({ type: 'notify', env: { SUPERVISED_DAEMON_USER: 'no-such-user-mortar' } });
    const start = await systemd!.ctl('start', name);
    expect(start.code).to.not.equal(0);
    const shown = await systemd!.show(name, 'ActiveState', 'StatusText');
    expect(shown, await systemd!.journal(name)).to.deep.equal({
      ActiveState: 'failed',
      StatusText: "Daemon user 'no-such-user-mortar' doesn't exist.",
    });
  });
});
