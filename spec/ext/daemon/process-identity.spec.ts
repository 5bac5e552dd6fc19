/**
 * The evidence behind pid file verdicts: whether a process holds a file open,
 * and, where that cannot be read, what its start time and program say; and
 * the /proc readers they rely on.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import type * as IdentityModule from '../../../dist/ext/daemon/process-identity';
import { requireDist } from '../../helpers/dist';

const { START_TOLERANCE_MS, bootClock, holdsFile, readProcess, runsProgram, weighEvidence } =
  requireDist<typeof IdentityModule>('ext/daemon/process-identity');

type ProcessFacts = IdentityModule.ProcessFacts;

/** Booted at 1 000 000 s after the epoch, 100 ticks a second. */
const CLOCK = { bootTimeMs: 1_000_000_000, ticksPerSecond: 100 };
const NODE = '/usr/bin/node';
const SCRIPT = '/opt/myapp/build/main.js';
const PROGRAM = { executables: [NODE], scripts: [SCRIPT] };

/** A process of the program that started `seconds` after boot. */
function facts(seconds: number, overrides: Partial<ProcessFacts> = {}): ProcessFacts {
  return { state: 'S', startTicks: seconds * 100, argv: [NODE, SCRIPT, 'run-forever'], executable: NODE, ...overrides };
}

/** The wall-clock time `seconds` after boot. */
function afterBoot(seconds: number): number {
  return CLOCK.bootTimeMs + seconds * 1000;
}

describe('process identity', () => {
  describe('weighEvidence (where the descriptors of the process cannot be read)', () => {
    it('says daemon when it runs the program and started before the file was written', () => {
      expect(weighEvidence(42, afterBoot(100), facts(99.5), CLOCK, PROGRAM)).to.deep.equal({ evidence: 'daemon' });
    });

    it('allows for rounding: a start up to the tolerance after the mtime still counts', () => {
      const written = afterBoot(100);
      expect(weighEvidence(42, written, facts(100 + START_TOLERANCE_MS / 1000), CLOCK, PROGRAM).evidence).to.equal(
        'daemon',
      );
      expect(
        weighEvidence(42, written, facts(100 + START_TOLERANCE_MS / 1000 + 0.01), CLOCK, PROGRAM).evidence,
      ).to.equal('inconclusive');
    });

    it('keeps calling a daemon whose file was touched or rewritten later the daemon', () => {
      expect(weighEvidence(42, afterBoot(86_400), facts(10), CLOCK, PROGRAM)).to.deep.equal({ evidence: 'daemon' });
    });

    it('cannot decide about a process of the program that started after the file was written (clocks move, files get touched)', () => {
      expect(weighEvidence(42, afterBoot(100), facts(500), CLOCK, PROGRAM)).to.deep.equal({
        evidence: 'inconclusive',
        reason: `it started (${new Date(afterBoot(500)).toISOString()}) after the pid file was last written`,
      });
      expect(weighEvidence(42, CLOCK.bootTimeMs - 3_600_000, facts(0.5), CLOCK, PROGRAM).evidence).to.equal(
        'inconclusive',
      );
      expect(weighEvidence(42, afterBoot(100), facts(1), undefined, PROGRAM)).to.deep.equal({
        evidence: 'inconclusive',
        reason: 'its start time is unknown',
      });
    });

    it('calls another program another program, naming what it runs', () => {
      const sleep = facts(1, { argv: ['sleep', '1000'], executable: '/usr/bin/sleep' });
      expect(weighEvidence(7, afterBoot(100), sleep, CLOCK, PROGRAM)).to.deep.equal({
        evidence: 'another-program',
        reason: 'pid 7 is another program (sleep 1000)',
      });
    });

    it('cuts a long command line in the reason', () => {
      const long = facts(1, { argv: ['/usr/bin/python3', '-c', 'x'.repeat(200)], executable: '/usr/bin/python3' });
      const verdict = weighEvidence(7, afterBoot(100), long, CLOCK, PROGRAM);
      expect(verdict.evidence !== 'daemon' && verdict.reason).to.match(
        /^pid 7 is another program \(\/usr\/bin\/python3 -c x+\.\.\.\)$/,
      );
      expect(verdict.evidence !== 'daemon' && verdict.reason.length).to.be.below(100);
    });

    it('turns ticks into time with the given rate', () => {
      const clock = { ...CLOCK, ticksPerSecond: 1024 };
      expect(weighEvidence(42, afterBoot(100), facts(0, { startTicks: 99 * 1024 }), clock, PROGRAM).evidence).to.equal(
        'daemon',
      );
      expect(weighEvidence(42, afterBoot(100), facts(0, { startTicks: 110 * 1024 }), clock, PROGRAM).evidence).to.equal(
        'inconclusive',
      );
    });
  });

  describe('holdsFile', () => {
    it('is true for a process holding the file, false for one that does not, gone for no process', () => {
      const { dev, ino } = statSync(__filename, { bigint: true });
      const fd = openSync(__filename, 'r');
      try {
        expect(holdsFile(process.pid, { dev, ino })).to.equal(true);
      } finally {
        closeSync(fd);
      }
      expect(holdsFile(process.pid, { dev, ino })).to.equal(false);
      expect(holdsFile(2 ** 22 + 1, { dev, ino })).to.equal('gone');
    });
  });

  describe('runsProgram', () => {
    const none = (): undefined => undefined;

    it('accepts the same binary with the script among its arguments, after node options', () => {
      expect(runsProgram(facts(1), PROGRAM, none)).to.equal(true);
      expect(
        runsProgram(facts(1, { argv: [NODE, '--enable-source-maps', '-r', 'x', SCRIPT] }), PROGRAM, none),
      ).to.equal(true);
    });

    it('accepts another Node installation (same binary name), and a binary replaced on disk', () => {
      expect(
        runsProgram(facts(1, { executable: '/opt/node-22/bin/node', argv: ['node', SCRIPT] }), PROGRAM, none),
      ).to.equal(true);
      expect(runsProgram(facts(1, { executable: `${NODE} (deleted)` }), PROGRAM, none)).to.equal(true);
    });

    it("falls back to the command line's first word when the executable cannot be read (another user's process)", () => {
      expect(runsProgram(facts(1, { executable: undefined, argv: ['node', SCRIPT] }), PROGRAM, none)).to.equal(true);
      expect(runsProgram(facts(1, { executable: undefined, argv: ['python3', SCRIPT] }), PROGRAM, none)).to.equal(
        false,
      );
    });

    it('accepts a relative script path that is a tail of the script, not one that climbs out', () => {
      expect(runsProgram(facts(1, { argv: [NODE, 'build/main.js'] }), PROGRAM, none)).to.equal(true);
      expect(runsProgram(facts(1, { argv: [NODE, './build/main.js'] }), PROGRAM, none)).to.equal(true);
      expect(runsProgram(facts(1, { argv: [NODE, '../build/main.js'] }), PROGRAM, none)).to.equal(false);
      expect(runsProgram(facts(1, { argv: [NODE, 'other/main2.js'] }), PROGRAM, none)).to.equal(false);
    });

    it('accepts an absolute path that resolves to the script (a symbolic link)', () => {
      const link = '/usr/local/bin/myapp';
      const resolvePath = (path: string): string | undefined => (path === link ? SCRIPT : undefined);
      expect(runsProgram(facts(1, { argv: [NODE, link] }), PROGRAM, resolvePath)).to.equal(true);
      expect(runsProgram(facts(1, { argv: [NODE, link] }), PROGRAM, none)).to.equal(false);
    });

    it('refuses another binary, another script, and a kernel thread', () => {
      expect(runsProgram(facts(1, { executable: '/usr/bin/sleep', argv: ['sleep', SCRIPT] }), PROGRAM, none)).to.equal(
        false,
      );
      expect(runsProgram(facts(1, { argv: [NODE, '/srv/other/main.js'] }), PROGRAM, none)).to.equal(false);
      expect(runsProgram(facts(1, { argv: [NODE] }), PROGRAM, none)).to.equal(false);
      expect(runsProgram(facts(1, { executable: undefined, argv: [] }), PROGRAM, none)).to.equal(false);
    });

    it('needs only the binary when the program has no script', () => {
      expect(
        runsProgram(facts(1, { argv: [NODE, '-e', 'code'] }), { executables: [NODE], scripts: [] }, none),
      ).to.equal(true);
    });
  });

  describe('reading /proc', () => {
    it("reads a process's state, start ticks, command line and executable", async () => {
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        await once(child, 'spawn');
        const read = readProcess(child.pid!);
        if (typeof read !== 'object') throw new Error(`cannot read pid ${child.pid}: ${read}`);
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        expect(read.startTicks).to.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]));
        expect(read.argv).to.deep.equal(['sleep', '30']);
        expect(read.executable).to.match(/\/sleep$/);
        expect(read.state).to.match(/^[RSD]$/);
      } finally {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
    });

    it('says gone for a pid that names no process', () => {
      expect(readProcess(2 ** 22 + 1)).to.equal('gone');
    });

    it("places this process's start between boot and now", () => {
      const clock = bootClock();
      const read = readProcess(process.pid);
      if (clock === undefined || typeof read !== 'object') throw new Error('no /proc');
      const startedMs = clock.bootTimeMs + (read.startTicks * 1000) / clock.ticksPerSecond;
      expect(startedMs).to.be.within(clock.bootTimeMs, Date.now());
      expect(Date.now() - startedMs, 'ms since this process started').to.be.within(
        process.uptime() * 1000 - 1500,
        process.uptime() * 1000 + 1500,
      );
    });
  });
});
