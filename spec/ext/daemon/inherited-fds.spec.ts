import { expect } from 'chai';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { useDaemonSandbox } from '../../helpers/daemon';

// The compiled library, loaded by the child processes: this spec runs from build/spec/ext/daemon.
const MODULE = resolve(__dirname, '../../../../dist/ext/daemon/inherited-fds');

/**
 * Node marks descriptors 0 to 15 close-on-exec at startup, so a descriptor
 * that reaches a re-executed daemon sits higher: this one stands for a
 * caller's pipe that leaked through the invoker.
 */
const INHERITED_FD = 40;

interface Report {
  closed: number[];
  isInheritedOpen: boolean;
  canStillWork: boolean;
}

describe('closeInheritedFds', () => {
  const sandbox = useDaemonSandbox();

  beforeEach(function () {
    if (!existsSync('/proc/self/fdinfo')) {
      process.stdout.write('      (skipped: no /proc/self/fdinfo on this system)\n');
      this.skip();
    }
  });

  /**
   * Starts a Node process holding a pipe at `INHERITED_FD` that is not
   * close-on-exec; it calls closeInheritedFds(keep), reports, and waits for
   * its stdin to close.
   */
  function startChild(keep: number[]): { child: ChildProcess; report: Promise<Report>; inherited: Readable } {
    const script = `
      const fs = require('fs');
      const { closeInheritedFds } = require(${JSON.stringify(MODULE)});
      const closed = closeInheritedFds(JSON.parse(process.argv[1]));
      let isInheritedOpen = true;
      try { fs.fstatSync(${INHERITED_FD}); } catch { isInheritedOpen = false; }
      if (isInheritedOpen) fs.writeSync(${INHERITED_FD}, 'still here');
      const canStillWork = fs.readFileSync('/proc/self/status', 'utf8').startsWith('Name:');
      process.stdout.write(JSON.stringify({ closed, isInheritedOpen, canStillWork }) + '\\n');
      process.stdin.resume();
    `;
    const stdio: StdioOptions = ['pipe', 'pipe', 'inherit'];
    while (stdio.length < INHERITED_FD) stdio.push('ignore');
    stdio.push('pipe');
    const child = spawn(process.execPath, ['-e', script, JSON.stringify(keep)], { stdio });
    sandbox.adopt(child);
    const report = (async () => {
      let text = '';
      for await (const chunk of child.stdout!) {
        text += String(chunk);
        if (text.includes('\n')) break;
      }
      return JSON.parse(text) as Report;
    })();
    return { child, report, inherited: (child.stdio as readonly unknown[])[INHERITED_FD] as Readable };
  }

  it('closes a descriptor the process inherited, and its own keep working', async () => {
    const { child, report, inherited } = startChild([]);
    let received = '';
    inherited.on('data', (chunk) => (received += String(chunk)));
    const ended = once(inherited, 'end');

    // Whatever else leaked from this test run's own parent is closed too; stdio never is.
    const { closed, ...state } = await report;
    expect(closed).to.include(INHERITED_FD);
    expect(closed.every((fd) => fd > 2)).to.equal(true);
    expect(state).to.deep.equal({ isInheritedOpen: false, canStillWork: true });
    // The caller holding the other end sees it closed while the child still runs.
    await ended;
    expect(child.exitCode).to.equal(null);
    expect(received).to.equal('');

    child.stdin!.end();
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
  });

  it('keeps the descriptors it is told to keep', async () => {
    const { child, report, inherited } = startChild([INHERITED_FD]);
    let received = '';
    inherited.on('data', (chunk) => (received += String(chunk)));

    const { closed, ...state } = await report;
    expect(closed).to.not.include(INHERITED_FD);
    expect(state).to.deep.equal({ isInheritedOpen: true, canStillWork: true });
    child.stdin!.end();
    await once(child, 'exit');
    expect(received).to.equal('still here');
  });
});
