/**
 * `[daemon] workers = 2` under a real systemd (spec/helpers/systemd.ts):
 * - Type=notify: READY=1 comes only once both workers are ready, MainPID is
 *   the primary; `systemctl reload` (ExecReload=kill -HUP $MAINPID) replaces
 *   both workers with MainPID unchanged, the unit active (or reloading) all
 *   along, and a client loop to 127.0.0.1 across it loses no request;
 *   `systemctl stop` leaves no worker and a clean result. Run with the shipped
 *   samples/systemd/cluster.service (as nobody) and with a fixture.
 * - Type=forking with --daemon: the same through the pid file.
 * - socket activation (samples/systemd/cluster-activated.*): the first
 *   connection starts the service, both workers serve the passed socket, a
 *   rolling reload loses no request.
 * Loopback only, on ports free at the time; every loop bounded in count and time.
 */
import { expect } from 'chai';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { delay, isAlive, readIfExists, waitUntil } from '../../helpers/daemon';
import { ClientLoop, answeringPid, freePort, get, type LoopResult } from '../../helpers/http-load';
import { copyBuiltPackage } from '../../helpers/readable-copy';
import { notifyUnavailable } from '../../helpers/supervised';
import { SystemdSandbox } from '../../helpers/systemd';

const HTTP = resolve(__dirname, '../../fixtures/workers/http.js');
const SHIPPED = join(__dirname, '../../../../samples/systemd');

/** The host pids of a process's children. */
function childrenOf(pid: number): number[] {
  return (readIfExists(`/proc/${pid}/task/${pid}/children`) ?? '')
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Asks on new connections until `count` pids have answered (bounded); resolves to them. */
async function answeringPids(port: number, count: number, exclude: readonly number[] = []): Promise<number[]> {
  const seen = new Set<number>();
  for (let attempt = 0; attempt < 100 && seen.size < count; attempt++) {
    const pid = answeringPid(await get(port, '/'));
    if (pid !== undefined && !exclude.includes(pid)) seen.add(pid);
    else if (pid !== undefined) await delay(50);
  }
  return [...seen].sort((a, b) => a - b);
}

describe('daemon workers under a real systemd', function () {
  this.timeout(180_000);
  let systemd: SystemdSandbox | undefined;
  let app: string;
  let count = 0;
  const added: string[] = [];

  before(async function () {
    const reason = SystemdSandbox.unavailable() ?? notifyUnavailable();
    if (reason) {
      process.stdout.write(`      (skipped: ${reason})\n`);
      this.skip();
    }
    // The cluster sample reads /etc/cluster/cluster.conf: the machine's must not count.
    systemd = await SystemdSandbox.boot({ mask: ['/etc/cluster'] });
    app = copyBuiltPackage(systemd.dir);
  });

  after(async () => {
    await systemd?.shutDown();
  });

  afterEach(async () => {
    for (const name of added.splice(0).reverse()) await systemd?.ctl('stop', name);
  });

  /** A unit that runs the fixture with 2 workers, in a directory of its own. */
  async function addFixtureUnit(
    kind: 'notify' | 'forking',
    port: number,
    env: Record<string, string> = {},
  ): Promise<{ name: string; dir: string; pidFile: string }> {
    const name = `workers-${kind}-${process.pid}-${++count}.service`;
    const dir = join(systemd!.dir, name);
    mkdirSync(dir, { mode: 0o755 });
    const pidFile = join(dir, 'http.pid');
    const environment = {
      MYAPP_DAEMON_WORKERS: '2',
      PORT: String(port),
      ...(kind === 'forking' ? { MYAPP_DAEMON_PID_FILE: pidFile } : {}),
      ...env,
    };
    const lines = [
      '[Service]',
      `Type=${kind}`,
      `ExecStart=${process.execPath} ${HTTP} serve${kind === 'forking' ? ' --daemon' : ''}`,
      ...(kind === 'forking' ? [`PIDFile=${pidFile}`] : []),
      'ExecReload=/bin/kill -HUP $MAINPID',
      'KillMode=mixed',
      ...Object.entries(environment).map(([key, value]) => `Environment="${key}=${value}"`),
    ];
    await systemd!.addUnit(name, `${lines.join('\n')}\n`);
    added.push(name);
    return { name, dir, pidFile };
  }

  /** A shipped unit file under a name of its own, with the copy's paths and the given ports. */
  async function addShipped(file: string, base: string, replace: Record<string, string>): Promise<string> {
    let text = readFileSync(join(SHIPPED, file), 'utf8')
      .replaceAll('/usr/bin/node', process.execPath)
      .replaceAll('/opt/myapp', app);
    for (const [from, to] of Object.entries(replace)) text = text.replaceAll(from, to);
    const name = `${base}${file.slice(file.lastIndexOf('.'))}`;
    await systemd!.addUnit(name, text);
    added.push(name);
    return name;
  }

  /**
   * A rolling reload under a client loop: `systemctl reload`, then waits until
   * `count` new pids answer. Resolves to what the loop saw, the new pids, and
   * every ActiveState seen meanwhile.
   */
  async function reloadUnderLoad(
    unit: string,
    port: number,
    old: readonly number[],
  ): Promise<{ loop: LoopResult; fresh: number[]; states: Set<string>; mainPids: Set<string> }> {
    const sandbox = systemd!;
    const loop = new ClientLoop(port, { connections: 4, maxMs: 60_000 });
    const states = new Set<string>();
    const mainPids = new Set<string>();
    let isWatching = true;
    const watching = (async () => {
      while (isWatching) {
        const shown = await sandbox.show(unit, 'ActiveState', 'MainPID');
        states.add(shown.ActiveState);
        mainPids.add(shown.MainPID);
        await delay(50);
      }
    })();
    try {
      await waitUntil(() => loop.answered >= 200, 'answers before the reload', 30_000);
      await sandbox.ctlOk('reload', unit);
      const fresh = await answeringPids(port, 2, old);
      const atReload = loop.answered;
      await waitUntil(() => loop.answered >= atReload + 200, 'answers after the reload', 30_000);
      return { loop: await loop.stop(), fresh, states, mainPids };
    } finally {
      isWatching = false;
      await watching;
      await loop.stop();
    }
  }

  /** `systemctl stop`: resolves once the unit is inactive; checks that its processes are gone. */
  async function stopCleanly(unit: string, processes: readonly number[]): Promise<void> {
    const sandbox = systemd!;
    await sandbox.ctlOk('stop', unit);
    const shown = await sandbox.show(unit, 'ActiveState', 'Result');
    expect(shown, await sandbox.journal(unit)).to.deep.include({ ActiveState: 'inactive', Result: 'success' });
    expect(sandbox.processesOf(unit), 'processes left in the unit').to.deep.equal([]);
    for (const pid of processes) expect(isAlive(pid), `pid ${pid} after the stop`).to.equal(false);
  }

  it('Type=notify: READY=1 only once both workers are ready; MainPID is the primary', async () => {
    const sandbox = systemd!;
    const port = await freePort();
    const gate = join(sandbox.dir, `gate-${++count}`);
    mkdirSync(gate, { mode: 0o755 });
    const { name } = await addFixtureUnit('notify', port, { READY_GATE: gate });
    await sandbox.ctlOk('start', '--no-block', name);
    const waiting = (): number[] =>
      readdirSync(gate)
        .filter((entry) => entry.startsWith('waiting.'))
        .map((entry) => Number(entry.slice('waiting.'.length)))
        .sort((a, b) => a - b);
    await waitUntil(() => waiting().length === 2, 'both workers to wait at the gate', 20_000);
    const [first, second] = waiting();
    writeFileSync(join(gate, `go.${first}`), '');
    await sandbox.journalMatching(name, new RegExp(`worker ${first} reports ready`));
    // The primary has heard from one worker (a moment after its line): systemd must still wait.
    for (let look = 0; look < 10; look++) {
      expect((await sandbox.show(name, 'ActiveState')).ActiveState, 'one worker ready of two').to.equal('activating');
      await delay(100);
    }
    writeFileSync(join(gate, `go.${second}`), '');
    const shown = await sandbox.waitForShow(
      name,
      ['ActiveState', 'MainPID'],
      (values) => values.ActiveState === 'active',
    );
    const journal = await sandbox.journal(name);
    expect(journal).to.match(new RegExp(`2 workers ready \\(pids (${first}, ${second}|${second}, ${first})\\)`));
    const primary = sandbox.hostPid(Number(shown.MainPID))!;
    expect(primary, 'MainPID is a live process').to.be.a('number');
    const workers = childrenOf(primary);
    expect(workers, 'the primary (MainPID) has the two workers as children').to.have.length(2);
    expect(await answeringPids(port, 2), 'the pids that answer (as the service sees them)').to.deep.equal([
      first,
      second,
    ]);
    await stopCleanly(name, [primary, ...workers]);
  });

  it('samples/systemd/cluster.service: systemctl reload replaces the workers, MainPID stays, no request fails; stop leaves nothing', async () => {
    const sandbox = systemd!;
    const port = await freePort();
    const health = await freePort();
    const unit = await addShipped('cluster.service', `cluster-${process.pid}-${++count}`, {
      '--port 8080': `--port ${port}`,
      '127.0.0.1:8081': `127.0.0.1:${health}`,
    });
    await sandbox.ctlOk('start', unit);
    const before = await sandbox.show(unit, 'ActiveState', 'MainPID');
    expect(before.ActiveState, await sandbox.journal(unit)).to.equal('active');
    const primary = sandbox.hostPid(Number(before.MainPID))!;
    const hostWorkers = childrenOf(primary);
    expect(hostWorkers, 'two workers, children of MainPID').to.have.length(2);
    for (const pid of [primary, ...hostWorkers])
      expect(readFileSync(`/proc/${pid}/status`, 'utf8'), `pid ${pid} runs as nobody`).to.match(/^Uid:\s+65534\s/m);
    expect((await get(health, '/readyz')).status, '/readyz').to.equal(200);
    const old = await answeringPids(port, 2);
    expect(old, 'both workers answer').to.have.length(2);

    const { loop, fresh, states, mainPids } = await reloadUnderLoad(unit, port, old);
    expect(loop.failures, `failed requests of ${loop.ok + loop.failures.length}`).to.deep.equal([]);
    expect(fresh, 'two new workers answer after the reload').to.have.length(2);
    expect(
      fresh.filter((pid) => old.includes(pid)),
      'worker pids kept across the reload',
    ).to.deep.equal([]);
    expect([...mainPids], 'MainPID all along').to.deep.equal([before.MainPID]);
    expect(
      [...states].filter((state) => state !== 'active' && state !== 'reloading'),
      'states seen',
    ).to.deep.equal([]);
    expect(await sandbox.journalMatching(unit, /reloaded: 2 workers \(new pids \d+, \d+\)/)).to.match(
      /reloaded: 2 workers/,
    );
    const newWorkers = childrenOf(primary);
    expect(newWorkers, 'the new workers are children of the same primary').to.have.length(2);
    await stopCleanly(unit, [primary, ...hostWorkers, ...newWorkers]);
  });

  it('Type=forking with --daemon: MainPID is the primary the pid file names; reload and stop as in the foreground', async () => {
    const sandbox = systemd!;
    const port = await freePort();
    const { name, pidFile } = await addFixtureUnit('forking', port);
    await sandbox.ctlOk('start', name);
    const shown = await sandbox.show(name, 'ActiveState', 'MainPID');
    expect(shown.ActiveState, await sandbox.journal(name)).to.equal('active');
    expect(readIfExists(pidFile), 'the pid file names MainPID').to.equal(`${shown.MainPID}\n`);
    const primary = sandbox.hostPid(Number(shown.MainPID))!;
    const workers = childrenOf(primary);
    expect(workers, 'two workers, children of MainPID').to.have.length(2);
    const old = await answeringPids(port, 2);
    expect(old).to.have.length(2);
    const { loop, fresh, states, mainPids } = await reloadUnderLoad(name, port, old);
    expect(loop.failures, `failed requests of ${loop.ok + loop.failures.length}`).to.deep.equal([]);
    expect(fresh, 'two new workers answer after the reload').to.have.length(2);
    expect([...mainPids], 'MainPID all along').to.deep.equal([shown.MainPID]);
    expect(
      [...states].filter((state) => state !== 'active' && state !== 'reloading'),
      'states seen',
    ).to.deep.equal([]);
    const newWorkers = childrenOf(primary);
    await stopCleanly(name, [primary, ...workers, ...newWorkers]);
    expect(readIfExists(pidFile), 'the pid file after the stop').to.equal(undefined);
  });

  it('samples/systemd/cluster-activated.*: the first connection starts the service, both workers serve the socket, a reload loses nothing', async () => {
    const sandbox = systemd!;
    const port = await freePort();
    const base = `cluster-activated-${process.pid}-${++count}`;
    const service = await addShipped('cluster-activated.service', base, {
      'cluster-activated.socket': `${base}.socket`,
    });
    const socket = await addShipped('cluster-activated.socket', base, { '127.0.0.1:8080': `127.0.0.1:${port}` });
    await sandbox.ctlOk('start', socket);
    expect((await sandbox.show(service, 'ActiveState')).ActiveState, 'before any connection').to.equal('inactive');
    const first = await get(port, '/', { timeoutMs: 20_000 });
    expect(first.status, await sandbox.journal(service)).to.equal(200);
    // A worker serves as soon as it listens; systemd hears READY=1 once the other one is ready too.
    const shown = await sandbox.waitForShow(
      service,
      ['ActiveState', 'MainPID'],
      (values) => values.ActiveState === 'active',
    );
    const primary = sandbox.hostPid(Number(shown.MainPID))!;
    const workers = childrenOf(primary);
    expect(workers, 'two workers, children of MainPID').to.have.length(2);
    const journal = await sandbox.journal(service);
    expect(journal.match(/listening on the socket systemd passed \(fd 3\)/g), journal).to.have.length(2);
    const old = await answeringPids(port, 2);
    expect(old, 'both workers answer on the passed socket').to.have.length(2);
    expect(old).to.not.include(Number(shown.MainPID));

    const { loop, fresh, mainPids } = await reloadUnderLoad(service, port, old);
    expect(loop.failures, `failed requests of ${loop.ok + loop.failures.length}`).to.deep.equal([]);
    expect(fresh, 'two new workers serve the socket after the reload').to.have.length(2);
    expect([...mainPids]).to.deep.equal([shown.MainPID]);
    await stopCleanly(service, [primary, ...workers, ...childrenOf(primary)]);
  });

  it('socket activation: when every worker dies at once the daemon stops with exit 1 and one line, and Restart=on-failure serves the socket again', async () => {
    const sandbox = systemd!;
    const port = await freePort();
    const base = `cluster-lost-${process.pid}-${++count}`;
    const service = await addShipped('cluster-activated.service', base, {
      'cluster-activated.socket': `${base}.socket`,
    });
    const socket = await addShipped('cluster-activated.socket', base, { '127.0.0.1:8080': `127.0.0.1:${port}` });
    await sandbox.ctlOk('start', socket);
    expect((await get(port, '/', { timeoutMs: 20_000 })).status).to.equal(200);
    const shown = await sandbox.waitForShow(
      service,
      ['ActiveState', 'MainPID'],
      (values) => values.ActiveState === 'active',
    );
    const primary = sandbox.hostPid(Number(shown.MainPID))!;
    const workers = childrenOf(primary);
    expect(workers).to.have.length(2);
    for (const pid of workers) {
      // Only the spec's own: workers of the copy this spec made.
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).to.contain(`${app}/build/samples/cluster/main.js`);
      process.kill(pid, 'SIGKILL');
    }
    const journal = await sandbox.journalMatching(service, /The socket systemd passed/, 20_000);
    expect(journal).to.match(
      /cluster: error: The socket systemd passed \(fd 3, http\) was closed when the last worker serving it ended .* the daemon stops: restart the service/,
    );
    const restarted = await sandbox.waitForShow(
      service,
      ['ActiveState', 'MainPID', 'NRestarts'],
      (values) => values.ActiveState === 'active' && values.MainPID !== shown.MainPID,
      30_000,
    );
    expect(restarted.NRestarts).to.equal('1');
    expect((await get(port, '/', { timeoutMs: 20_000 })).status, 'the socket served again').to.equal(200);
    expect(await answeringPids(port, 2), 'both new workers answer').to.have.length(2);
    await stopCleanly(service, [primary, ...workers, ...childrenOf(sandbox.hostPid(Number(restarted.MainPID))!)]);
  });
});
