/**
 * Operating a daemon under systemd: READY=1, MAINPID= and STOPPING=1 received
 * on a real AF_UNIX datagram socket given as NOTIFY_SOCKET, in the
 * foreground (`Type=notify`) and with `--daemon`; what the daemon's children
 * inherit; and `--daemon` started by an init system (`INVOCATION_ID`).
 */
import { expect } from 'chai';
import { existsSync, mkdirSync } from 'node:fs';
import { MYAPP, isAlive, procStat, readIfExists, waitUntil, useDaemonSandbox } from '../../helpers/daemon';
import {
  NotifyListener,
  abstractSocketSupport,
  notifyListenerUnavailable,
  operateFixture,
  waitForText,
} from '../../helpers/operate';

const CHILD_ENV = operateFixture('child-env');

/** How long a notification may take to arrive; mortar sends it as soon as the state changes. */
const NOTIFY_WAIT_MS = 3000;

describe('operating a daemon: systemd notifications and init systems', function () {
  const sandbox = useDaemonSandbox();
  let systemd: NotifyListener | undefined;

  // After the sandbox's clean-up: the daemons it ends may still notify.
  afterEach(() => {
    systemd?.close();
    systemd = undefined;
  });

  /** Skips the tests of a describe block, saying why, when no listener can be made. */
  function skipWithoutListener(this: Mocha.Context): void {
    const reason = notifyListenerUnavailable();
    if (reason === undefined) return;
    process.stdout.write(`      (skipped: ${reason})\n`);
    this.skip();
  }

  function listen(name = sandbox.path('notify.sock')): NotifyListener {
    systemd = new NotifyListener(name);
    return systemd;
  }

  /** Starts `script run-forever --daemon` with the given environment; returns the invoker's and the daemon's pids. */
  async function startDaemon(
    env: Record<string, string>,
    script = MYAPP,
  ): Promise<{ invoker: number; daemon: number }> {
    const started = await sandbox.run(script, ['run-forever', '--daemon'], { env });
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    return { invoker: started.pid, daemon: sandbox.daemonPid() };
  }

  describe('in the foreground (Type=notify)', () => {
    before(skipWithoutListener);

    it('sends READY=1 with MAINPID= its own pid', async () => {
      const socket = listen();
      const invocation = sandbox.start(MYAPP, ['run-forever'], { env: { NOTIFY_SOCKET: socket.address } });
      await invocation.child.waitForOutput(/^1$/m);
      await socket.waitFor(/^READY=1$/m, NOTIFY_WAIT_MS);
      expect(socket.states).to.deep.equal([`READY=1\nMAINPID=${invocation.child.pid}`]);
    });

    it('sends STOPPING=1 on SIGTERM, then ends by SIGTERM', async () => {
      const socket = listen();
      const invocation = sandbox.start(MYAPP, ['run-forever'], { env: { NOTIFY_SOCKET: socket.address } });
      await invocation.child.waitForOutput(/^1$/m);

      invocation.child.kill('SIGTERM');
      const result = await sandbox.finish(invocation, 5000);
      expect(result.signal, `how it ended (exit code ${result.code})\n${result.stderr}`).to.equal('SIGTERM');
      await socket.waitFor(/^STOPPING=1$/m, NOTIFY_WAIT_MS);
      expect(socket.states).to.deep.equal([`READY=1\nMAINPID=${invocation.child.pid}`, 'STOPPING=1']);
    });

    it('takes NOTIFY_SOCKET out of the environment its children inherit', async () => {
      const socket = listen();
      const dump = sandbox.path('env.txt');
      const invocation = sandbox.start(CHILD_ENV, ['run-forever'], {
        env: { NOTIFY_SOCKET: socket.address, ENV_DUMP: dump },
      });
      await invocation.child.waitForOutput(/^ready$/m);
      const inherited = readIfExists(dump) ?? '';
      expect(inherited, "the child's environment").to.match(/^MYAPP_DAEMON_PID_FILE=/m);
      expect(inherited, "the child's environment").to.not.match(/^NOTIFY_SOCKET=/m);
    });
  });

  describe('with --daemon', () => {
    before(skipWithoutListener);

    it("sends READY=1 with MAINPID= the daemon's pid, and STOPPING=1 when the daemon is stopped", async () => {
      const socket = listen();
      const { invoker, daemon } = await startDaemon({ NOTIFY_SOCKET: socket.address });
      expect(daemon, "the daemon's pid").to.not.equal(invoker);
      await socket.waitFor(/^READY=1$/m, NOTIFY_WAIT_MS);
      expect(socket.states, 'notifications once the invoker has exited').to.deep.equal([`READY=1\nMAINPID=${daemon}`]);

      const stop = await sandbox.run(MYAPP, ['daemon', 'stop']);
      expect(stop.code, `\`daemon stop\`\n${stop.stdout}${stop.stderr}`).to.equal(0);
      expect(isAlive(daemon), `daemon ${daemon} is gone (or a zombie)`).to.equal(false);
      await socket.waitFor(/^STOPPING=1$/m, NOTIFY_WAIT_MS);
      expect(socket.states).to.deep.equal([`READY=1\nMAINPID=${daemon}`, 'STOPPING=1']);
    });

    it('leaves neither NOTIFY_SOCKET nor the readiness marker in the environment its children inherit', async () => {
      const socket = listen();
      const dump = sandbox.path('env.txt');
      await startDaemon({ NOTIFY_SOCKET: socket.address, ENV_DUMP: dump }, CHILD_ENV);
      const inherited = await waitForText(dump, /^MYAPP_DAEMON_PID_FILE=/m);
      expect(inherited, "the child's environment").to.not.match(/^NOTIFY_SOCKET=/m);
      expect(inherited, "the child's environment").to.not.match(/^MORTAR_DAEMON_READY_FD=/m);
    });

    it("starts the daemon through setsid(1): a session of its own, not the invoker's child", async () => {
      const socket = listen();
      const { invoker, daemon } = await startDaemon({ NOTIFY_SOCKET: socket.address });
      const stat = procStat(daemon);
      expect([stat.session, stat.pgrp, stat.ttyNr], "the daemon's session, group and terminal").to.deep.equal([
        daemon,
        daemon,
        0,
      ]);
      expect(stat.ppid, "the daemon's parent").to.not.equal(invoker);
    });

    it('fails in one line, leaving nothing, when setsid(1) cannot be found', async () => {
      const socket = listen();
      const emptyPath = sandbox.path('empty-bin');
      mkdirSync(emptyPath);
      const result = await sandbox.run(MYAPP, ['run-forever', '--daemon'], {
        env: { NOTIFY_SOCKET: socket.address, PATH: emptyPath },
      });
      expect(result.code, result.stderr).to.equal(1);
      expect(result.stderrLines).to.have.length(1);
      expect(result.stderrLines[0]).to.match(
        /^myapp: error: Cannot start the daemon through setsid\(1\), .*: no such file or directory\. Install util-linux, or drop --daemon/,
      );
      expect(existsSync(sandbox.pidFile), 'the pid file').to.equal(false);
      expect(sandbox.livingProcesses(), 'processes left').to.deep.equal([]);
      expect(socket.states, 'notifications: the status line says why the start failed').to.deep.equal([
        `STATUS=${result.stderrLines[0].slice('myapp: error: '.length)}`,
      ]);
    });

    it('notifies an abstract socket given as NOTIFY_SOCKET=@name', async function () {
      const support = abstractSocketSupport();
      if (!support.isSupported) {
        process.stdout.write(`      (skipped: ${support.reason})\n`);
        this.skip();
      }
      const socket = listen(`\0mortar-notify-${process.pid}-${Date.now()}`);
      const { daemon } = await startDaemon({ NOTIFY_SOCKET: socket.address });
      await socket.waitFor(/^READY=1$/m, NOTIFY_WAIT_MS);
      expect(socket.states).to.deep.equal([`READY=1\nMAINPID=${daemon}`]);
    });
  });

  describe('started by an init system', () => {
    it('still detaches with INVOCATION_ID set: the invoker returns 0 and the pid file names the daemon', async () => {
      const started = await sandbox.run(MYAPP, ['run-forever', '--daemon'], { env: { INVOCATION_ID: 'abc' } });
      expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
      expect(started.elapsedMs, 'time until the invoker returned').to.be.below(5000);
      expect(started.pidFileAtExit, 'the pid file when the invoker exited').to.match(/^\d+\n$/);
      const daemon = sandbox.daemonPid();
      expect(daemon, "the daemon's pid").to.not.equal(started.pid);
      expect(started.wasPidFileAliveAtExit, `pid ${daemon} was alive when the invoker exited`).to.equal(true);
      const stat = procStat(daemon);
      expect(stat.session, "the daemon's session").to.equal(daemon);
      expect(stat.ppid, "the daemon's parent").to.not.equal(started.pid);
      await waitUntil(() => isAlive(daemon), `daemon ${daemon} to keep running`, 1000);
    });
  });
});
