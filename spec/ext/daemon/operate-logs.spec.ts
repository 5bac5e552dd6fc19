/**
 * Operating a daemon: its log file after detaching, SIGHUP-driven rotation,
 * a `reload` hook that re-reads the config, and SIGHUP stopping an app that
 * has no `reload` hook. Real child processes, checked from the outside.
 */
import { expect } from 'chai';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { MYAPP, exists, isAlive, readIfExists, waitUntil, useDaemonSandbox } from '../../helpers/daemon';
import { operateFixture, waitForText } from '../../helpers/operate';

const NO_RELOAD = operateFixture('no-reload');
const RELOAD_CONFIG = operateFixture('reload-config');

/** The start of a log file line: `2026-11-24 03:27:42,348 (INFO) myapp : `. */
const INFO_LINE = String.raw`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \(INFO\) myapp : `;

function infoLine(message: string): RegExp {
  return new RegExp(`${INFO_LINE}${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm');
}

describe('operating a daemon: log files and SIGHUP', function () {
  const sandbox = useDaemonSandbox();
  let logFile: string;

  beforeEach(() => {
    logFile = sandbox.logFile;
  });

  /** Starts `script run-forever --daemon` with the given environment; returns the daemon's pid. */
  async function startDaemon(script: string, env: Record<string, string>): Promise<number> {
    const started = await sandbox.run(script, ['run-forever', '--daemon'], { env });
    expect(started.code, `the invoker's exit code\n${started.stderr}`).to.equal(0);
    return sandbox.daemonPid();
  }

  it("writes the daemon's log lines to [log] file after detaching", async () => {
    const pid = await startDaemon(MYAPP, { MYAPP_LOG_FILE: logFile });
    await waitForText(logFile, infoLine(`running as pid ${pid}`));
  });

  it('reopens the log file on SIGHUP after a rotation, runs the reload hook, and goes on', async () => {
    const pid = await startDaemon(MYAPP, { MYAPP_LOG_FILE: logFile });
    await waitForText(logFile, infoLine(`running as pid ${pid}`));
    const rotated = sandbox.path('myapp.log.1');
    renameSync(logFile, rotated);

    sandbox.signal(pid, 'SIGHUP');
    const fresh = await waitForText(logFile, infoLine('configuration reloaded'));

    expect(isAlive(pid), 'the daemon still runs after SIGHUP').to.equal(true);
    expect(fresh, 'the new log file').to.not.contain('running as pid');
    const old = readIfExists(rotated) ?? '';
    expect(old, 'the rotated log file').to.match(infoLine(`running as pid ${pid}`));
    expect(old, 'the rotated log file').to.not.contain('configuration reloaded');
    expect(readIfExists(sandbox.pidFile), 'the pid file').to.equal(`${pid}\n`);
  });

  it('reopens a relative [log] file at the same path, not relative to [daemon] dir', async () => {
    const work = sandbox.path('work');
    mkdirSync(work);
    const pid = await startDaemon(MYAPP, { MYAPP_LOG_FILE: 'myapp.log', MYAPP_DAEMON_DIR: work });
    await waitForText(logFile, infoLine(`running as pid ${pid}`));
    renameSync(logFile, sandbox.path('myapp.log.1'));

    sandbox.signal(pid, 'SIGHUP');
    await waitUntil(() => exists(logFile) || exists(sandbox.path('work', 'myapp.log')), 'a new log file after SIGHUP');
    expect(exists(sandbox.path('work', 'myapp.log')), `a log file was created in [daemon] dir ${work}`).to.equal(false);
    await waitForText(logFile, infoLine('configuration reloaded'));
  });

  it('re-reads the config files in a reload hook that calls app.reloadConfig()', async () => {
    const conf = sandbox.path('app.conf');
    writeFileSync(conf, '[myapp]\ngreeting = hello\n');
    const pid = await startDaemon(RELOAD_CONFIG, { MYAPP_LOG_FILE: logFile, OPERATE_CONF: conf });
    await waitForText(logFile, infoLine('greeting is hello'));

    writeFileSync(conf, '[myapp]\ngreeting = bonjour\n');
    sandbox.signal(pid, 'SIGHUP');
    await waitForText(logFile, infoLine('greeting is bonjour'));
    expect(isAlive(pid), 'the daemon still runs after SIGHUP').to.equal(true);
  });

  it('stops a foreground app without a reload hook on SIGHUP: it ends by SIGHUP and removes its pid file', async () => {
    const invocation = sandbox.start(NO_RELOAD, ['run-forever']);
    await invocation.child.waitForOutput(/^ready$/m);
    expect(readIfExists(sandbox.pidFile), 'the pid file').to.equal(`${invocation.child.pid}\n`);

    invocation.child.kill('SIGHUP');
    const result = await sandbox.finish(invocation, 5000);
    expect(result.signal, `how it ended (exit code ${result.code})\n${result.stderr}`).to.equal('SIGHUP');
    expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
  });

  it('stops a detached daemon without a reload hook on SIGHUP and removes its pid file', async () => {
    const pid = await startDaemon(NO_RELOAD, { MYAPP_LOG_FILE: logFile });
    await waitForText(logFile, infoLine(`running as pid ${pid}`));

    sandbox.signal(pid, 'SIGHUP');
    await waitUntil(() => !isAlive(pid), `daemon ${pid} to end after SIGHUP`);
    expect(exists(sandbox.pidFile), 'the pid file exists').to.equal(false);
    expect(readIfExists(logFile), 'the log file').to.match(infoLine('stopping'));
  });
});
