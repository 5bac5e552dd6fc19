/**
 * Socket activation under a real systemd, with the units of samples/systemd:
 * service-activated.socket starts the service sample at the first
 * connection, and the sample serves the socket systemd passed (found by
 * `DaemonService.listenFds()`), in the foreground (Type=notify) and with
 * --daemon (Type=forking, and Type=notify, whose daemon starts through
 * setsid(1): the invoker hands the socket on at the same number); a client
 * loop across `systemctl restart` loses no connection.
 * Loopback only, on a port free at the time; every loop bounded in count and time.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { readIfExists } from '../../helpers/daemon';
import { copyBuiltPackage } from '../../helpers/readable-copy';
import { bootOrSkip } from '../../helpers/supervised';
import type { SystemdSandbox } from '../../helpers/systemd';

const SHIPPED = join(__dirname, '../../../../samples/systemd');

/** A port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One GET on a new connection; resolves to the body, rejects on any failure or after 10 s. */
function get(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' }, timeout: 10_000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () =>
          response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}`)),
        );
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('socket activation, under a real systemd (samples/systemd/service-activated.*)', function () {
  this.timeout(120_000);
  let systemd: SystemdSandbox | undefined;
  let app: string;
  let count = 0;
  const added: string[] = [];

  before(async function () {
    systemd = await bootOrSkip(this);
    app = copyBuiltPackage(systemd!.dir);
  });

  after(async () => {
    await systemd?.shutDown();
  });

  afterEach(async () => {
    for (const name of added.splice(0).reverse()) await systemd?.ctl('stop', name);
  });

  /** The shipped socket unit and a shipped service unit under names of their own, on a free port; the socket started. */
  async function addActivated(serviceFile: string): Promise<{ service: string; port: number; pidFile?: string }> {
    const sandbox = systemd!;
    const port = await freePort();
    const base = `activated-${process.pid}-${++count}`;
    const socketText = readFileSync(join(SHIPPED, 'service-activated.socket'), 'utf8').replace(
      '127.0.0.1:8080',
      `127.0.0.1:${port}`,
    );
    const serviceText = readFileSync(join(SHIPPED, serviceFile), 'utf8')
      .replaceAll('/usr/bin/node', process.execPath)
      .replaceAll('/opt/myapp', app)
      .replaceAll('service-activated.socket', `${base}.socket`)
      .replaceAll('/run/service/', `/run/${base}/`)
      .replace(/^RuntimeDirectory=service$/m, `RuntimeDirectory=${base}`);
    await sandbox.addUnit(`${base}.service`, serviceText);
    await sandbox.addUnit(`${base}.socket`, socketText);
    added.push(`${base}.socket`, `${base}.service`);
    await sandbox.ctlOk('start', `${base}.socket`);
    const path = /^PIDFile=(.+)$/m.exec(serviceText)?.[1];
    return { service: `${base}.service`, port, pidFile: path && `/proc/${sandbox.pid}/root${path}` };
  }

  for (const serviceFile of [
    'service-activated.service',
    'service-activated-daemon.service',
    'service-activated-notify-daemon.service',
  ]) {
    it(`${serviceFile}: the first connection starts the service, which serves the passed socket`, async () => {
      const sandbox = systemd!;
      const { service, port, pidFile } = await addActivated(serviceFile);
      expect((await sandbox.show(service, 'ActiveState')).ActiveState, 'before any connection').to.equal('inactive');
      const body = await get(port);
      const shown = await sandbox.show(service, 'ActiveState', 'MainPID');
      expect(body, await sandbox.journal(service)).to.equal(`hello from pid ${shown.MainPID}\n`);
      expect(shown.ActiveState).to.equal('active');
      if (pidFile) expect(readIfExists(pidFile), 'the pid file').to.equal(`${shown.MainPID}\n`);
      expect(await sandbox.journal(service)).to.match(/listening on the socket systemd passed \(fd 3\)/);
    });
  }

  it('2,000 requests across `systemctl restart`: no connection fails', async () => {
    const sandbox = systemd!;
    const { service, port } = await addActivated('service-activated.service');
    const TOTAL = 2000;
    const deadline = Date.now() + 90_000;
    const pids = new Map<string, number>();
    const failures: string[] = [];
    let sent = 0;
    let served = 0;
    let restarted = false;
    let servedAfterRestart = 0;
    const client = async (): Promise<void> => {
      while ((sent < TOTAL || !restarted || servedAfterRestart < 200) && Date.now() < deadline && sent < 3 * TOTAL) {
        sent += 1;
        try {
          const body = await get(port);
          served += 1;
          if (restarted) servedAfterRestart += 1;
          pids.set(body, (pids.get(body) ?? 0) + 1);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const restart = async (): Promise<void> => {
      while (served < 300 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await sandbox.ctlOk('restart', service);
      restarted = true;
    };
    await Promise.all([client(), client(), client(), client(), restart()]);
    expect(failures, `failed requests of ${sent}`).to.deep.equal([]);
    expect(served, 'requests served').to.be.at.least(TOTAL);
    expect([...pids.keys()], 'the processes that answered: the first, then the restarted one').to.have.length(2);
  });
});
