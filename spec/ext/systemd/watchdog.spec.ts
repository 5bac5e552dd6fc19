/**
 * systemd's watchdog under a real systemd (WatchdogSec=2, Restart=on-watchdog):
 * mortar pings from the event loop every half period, in the foreground and
 * after --daemon, so that a loop blocked past the period has the service
 * restarted, a healthy one runs on, and an app's own failing check has it
 * restarted at once.
 */
import { expect } from 'chai';
import { delay } from '../../helpers/daemon';
import { addSupervisedUnit, bootOrSkip, type SupervisedUnitOptions } from '../../helpers/supervised';
import type { SystemdSandbox } from '../../helpers/systemd';

// RestartSec leaves time to see Result=watchdog before the restart resets it.
const WATCHDOG = ['WatchdogSec=2', 'Restart=on-watchdog', 'RestartSec=2', 'TimeoutStartSec=20'];

describe('the systemd watchdog, under a real systemd', function () {
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

  async function start(options: SupervisedUnitOptions): Promise<string> {
    const unit = await addSupervisedUnit(systemd!, {
      ...options,
      directives: [...WATCHDOG, ...(options.directives ?? [])],
    });
    added.push(unit.name);
    const result = await systemd!.ctl('start', unit.name);
    expect(
      result.code,
      `systemctl start ${unit.name}: ${result.stderr}\n${await systemd!.journal(unit.name)}`,
    ).to.equal(0);
    return unit.name;
  }

  /** Waits for the watchdog to have restarted the unit, and checks that it runs again. */
  async function expectRestartedByWatchdog(name: string, cause: RegExp): Promise<void> {
    const sandbox = systemd!;
    await sandbox.waitForShow(
      name,
      ['Result', 'SubState'],
      (values) => values.Result === 'watchdog' && values.SubState === 'auto-restart',
    );
    const shown = await sandbox.waitForShow(
      name,
      ['NRestarts', 'ActiveState', 'SubState'],
      (values) => Number(values.NRestarts) >= 1 && values.SubState === 'running',
    );
    const journal = await sandbox.journalMatching(name, /Failed with result 'watchdog'/);
    expect(journal, 'the journal').to.match(cause);
    expect(journal, 'the journal').to.match(/running as pid \d+ \(first run\)[\s\S]*running as pid \d+$/m);
    expect(shown.ActiveState).to.equal('active');
  }

  it('Type=notify: a command that blocks its event loop for 5 s is restarted (Result=watchdog)', async () => {
    const name = await start({ type: 'notify', env: { BLOCK_AFTER_MS: '1000', BLOCK_MS: '5000' } });
    await expectRestartedByWatchdog(name, /Watchdog timeout/);
  });

  it('Type=forking with --daemon: the daemon pings, and a blocked loop has it restarted', async () => {
    const name = await start({ type: 'forking', env: { BLOCK_AFTER_MS: '1000', BLOCK_MS: '5000' } });
    await expectRestartedByWatchdog(name, /Watchdog timeout/);
  });

  it('a failing watchdog check has the service restarted at once (WATCHDOG=trigger)', async () => {
    const name = await start({ type: 'notify', env: { CHECK_FAILS_AFTER_MS: '1500' } });
    await expectRestartedByWatchdog(name, /watchdog check failed: databaseAnswers returned false/);
  });

  it('healthy services run on through five periods: foreground (notify, simple) and --daemon (forking, notify)', async () => {
    const names = await Promise.all([
      start({ type: 'notify' }),
      start({ type: 'simple' }),
      start({ type: 'forking' }),
      start({ type: 'notify', detach: true }),
    ]);
    const mainPids = await Promise.all(names.map(async (name) => (await systemd!.show(name, 'MainPID')).MainPID));
    await delay(10_000);
    for (const [index, name] of names.entries()) {
      const shown = await systemd!.show(name, 'ActiveState', 'SubState', 'NRestarts', 'MainPID', 'Result');
      expect(shown, `${name}\n${await systemd!.journal(name)}`).to.deep.equal({
        ActiveState: 'active',
        SubState: 'running',
        NRestarts: '0',
        MainPID: mainPids[index],
        Result: 'success',
      });
    }
  });
});
