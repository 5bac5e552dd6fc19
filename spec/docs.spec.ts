/**
 * The docs cannot drift from the code. Every fenced TypeScript block of
 * README.md and docs/*.md says what it is: `ts program` (compiled here, each
 * as a file of its own, against the built package with the README's
 * tsconfig) or `ts fragment` (a piece of a program, skipped on purpose). The
 * README's first program is then operated with the README's own `sh run`
 * block, in a directory of its own; every command of the README's samples
 * table runs against the built samples; and `npm run demo` does what the
 * README's first lines say.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcesses, cleanEnv, isAlive, signalOwn, type ChildResult } from './helpers/process';
import { npmEnv } from './helpers/toolchain';

const ROOT = resolve(__dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** A fenced block of a Markdown file: its language, its tag (`program`, `fragment`, `run`, ...), its text and where it starts. */
interface Block {
  readonly file: string;
  readonly line: number;
  readonly language: string;
  readonly tag: string;
  readonly text: string;
}

/** The fenced blocks of `file` (relative to the repository), in order. */
function blocksOf(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const blocks: Block[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(\S*)(?: +(\S+))?\s*$/.exec(lines[index]);
    if (!open) continue;
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && lines[index] !== '```'; index++) body.push(lines[index]);
    blocks.push({ file, line: start + 1, language: open[1], tag: open[2] ?? '', text: `${body.join('\n')}\n` });
  }
  return blocks;
}

const DOCS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
];
const ALL_BLOCKS = DOCS.flatMap(blocksOf);
const README_BLOCKS = blocksOf('README.md');

function onlyBlock(language: string, tag: string): Block {
  const found = README_BLOCKS.filter((block) => block.language === language && block.tag === tag);
  expect(found, `README.md has one \`\`\`${language} ${tag} block`).to.have.length(1);
  return found[0];
}

/** A project directory that has mortar, TypeScript and Node's types installed, as a user's has after the README's install steps. */
function makeProject(dir: string): void {
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  mkdirSync(join(dir, 'node_modules/.bin'));
  symlinkSync(ROOT, join(dir, 'node_modules/mortar'));
  for (const name of ['typescript', '@types/node', 'tsyringe', 'reflect-metadata'])
    symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name));
  symlinkSync('../typescript/bin/tsc', join(dir, 'node_modules/.bin/tsc'));
  writeFileSync(join(dir, 'tsconfig.json'), onlyBlock('json', 'tsconfig').text);
}

describe('the docs', function () {
  this.timeout(120_000);
  const children = new ChildProcesses();
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-docs-'));
  });

  after(async () => {
    await children.endAll();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('marks every TypeScript block as a program or a fragment', () => {
    const unmarked = ALL_BLOCKS.filter(
      (block) => ['ts', 'typescript', 'tsx'].includes(block.language) && !['program', 'fragment'].includes(block.tag),
    );
    expect(
      unmarked.map((block) => `${block.file}:${block.line}`),
      'blocks to mark ```ts program or ```ts fragment',
    ).to.deep.equal([]);
    expect(ALL_BLOCKS.filter((block) => block.tag === 'program').length).to.be.at.least(2);
  });

  it('compiles every program block with the tsconfig the README gives', async () => {
    const project = join(dir, 'programs');
    mkdirSync(project);
    makeProject(project);
    const names: string[] = [];
    for (const block of ALL_BLOCKS.filter((candidate) => candidate.tag === 'program')) {
      const name = `${block.file.replace(/\W+/g, '-')}-line-${block.line}.ts`;
      writeFileSync(join(project, name), block.text);
      names.push(name);
    }
    const result = await children
      .startCommand(process.execPath, [TSC, '-p', project], { env: cleanEnv(), cwd: project })
      .waitForExit(90_000);
    expect(result.code, `tsc on ${names.join(', ')}:\n${result.stdout}${result.stderr}`).to.equal(0);
    for (const name of names) expect(readdirSync(project)).to.include(name.replace(/\.ts$/, '.js'));
  });

  describe("the README's first program, operated as the README says", () => {
    let project: string;
    let result: ChildResult;

    before(async () => {
      project = join(dir, 'first');
      mkdirSync(project);
      makeProject(project);
      const section = /^## A first program\n([^]*?)(?=^## )/m.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'));
      expect(section, 'README.md has "## A first program"').to.not.equal(null);
      const program = README_BLOCKS.find((block) => block.tag === 'program' && section![1].includes(block.text));
      expect(program, 'a ```ts program block under "## A first program"').to.not.equal(undefined);
      writeFileSync(join(project, 'myapp.ts'), program!.text);
      // Each line as the reader types it, echoed, so that a failure names its line.
      const script = onlyBlock('sh', 'run')
        .text.split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => `echo ${JSON.stringify(`$ ${line}`)}\n${line}`)
        .join('\n');
      writeFileSync(join(project, 'run.sh'), `set -e\n${script}\n`);
      result = await children
        .startCommand('bash', [join(project, 'run.sh')], {
          env: npmEnv({ ...cleanEnv(), npm_config_offline: 'true' }),
          cwd: project,
        })
        .waitForExit(90_000);
    });

    after(() => {
      // A line that failed may have left the daemon running: end it, by a pid whose command line is this project's program.
      let pid: number;
      try {
        pid = Number(readFileSync(join(project, 'myapp.pid'), 'utf8'));
      } catch {
        return;
      }
      const isOwn = (candidate: number): boolean => {
        try {
          return (
            isAlive(candidate) && readFileSync(`/proc/${candidate}/cmdline`, 'utf8').includes(join(project, 'myapp.js'))
          );
        } catch {
          return false;
        }
      };
      if (isOwn(pid)) signalOwn(pid, 'SIGKILL', isOwn);
    });

    it('runs every line', () => {
      expect(result.code, `${result.stdout}${result.stderr}`).to.equal(0);
    });

    it('shows what the comments say: the default command, status running, stopped, then not running (exit 3)', () => {
      const output = `${result.stdout}${result.stderr}`;
      expect(output).to.include('INFO: foo=bar\n');
      const pid = /myapp is running \(pid (\d+)\)\n/.exec(result.stdout);
      expect(pid, output).to.not.equal(null);
      expect(result.stdout).to.include(`myapp stopped (pid ${pid![1]})\n`);
      expect(result.stdout).to.match(/myapp is not running\n3\n$/);
    });

    it('logs the daemon at work and its reload to myapp.log, and removes its pid file', () => {
      const log = readFileSync(join(project, 'myapp.log'), 'utf8');
      expect(log).to.match(/\(INFO\) myapp : working: round 1\n/);
      expect(log).to.match(/\(INFO\) myapp : configuration reloaded\n/);
      expect(readdirSync(project)).to.not.include('myapp.pid');
    });
  });

  describe("the README's samples table", () => {
    /** The commands of the table's `run` column. */
    function sampleCommands(): string[] {
      const section = /^## Samples\n([^]*?)(?=^## )/m.exec(readFileSync(join(ROOT, 'README.md'), 'utf8'));
      expect(section, 'README.md has "## Samples"').to.not.equal(null);
      return section![1]
        .split('\n')
        .filter((line) => /^\| `[a-z-]+` \|/.test(line))
        .map((line) => /`([^`]+)` \|$/.exec(line)![1]);
    }

    async function freePort(): Promise<number> {
      const server = createServer();
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      const { port } = server.address() as { port: number };
      await new Promise((done) => server.close(done));
      return port;
    }

    it('lists a command for each sample, and each runs', async function () {
      const commands = sampleCommands();
      expect(commands.length).to.be.at.least(6);
      for (const shown of commands) {
        const work = mkdtempSync(join(dir, 'sample-'));
        // Hermetic: pid files in a directory of this test's own, a free port instead of 8080.
        const command = shown.replace('--port 8080', `--port ${await freePort()}`);
        const env = cleanEnv({
          MYAPP_DAEMON_PID_FILE: join(work, 'myapp.pid'),
          WHOLE_APP_PID_FILE: join(work, 'whole-app.pid'),
          SERVICE_DAEMON_PID_FILE: join(work, 'service.pid'),
          TSX_DISABLE_CACHE: '1',
          npm_config_offline: 'true',
          npm_config_update_notifier: 'false',
        });
        if (command.includes('npx tsx') && !hasTsx()) continue;
        const result = await children.startCommand('bash', ['-c', command], { env, cwd: ROOT }).waitForExit(60_000);
        try {
          expect(result.code, `${shown}\n${result.stdout}${result.stderr}`).to.equal(0);
          expect(result.stderr, shown).to.not.match(/error|warning/i);
          if (command.includes('--daemon'))
            expect(readdirSync(work), `${shown}: a pid file naming the daemon`).to.have.length(1);
        } finally {
          endDaemons(work);
        }
      }
    });

    function hasTsx(): boolean {
      try {
        require.resolve('tsx', { paths: [ROOT] });
        return true;
      } catch {
        process.stdout.write('      (the tsx line is not run: tsx is not installed)\n');
        return false;
      }
    }

    /** Ends the daemon whose pid file is in `work`: only a process running a sample whose environment names that pid file. */
    function endDaemons(work: string): void {
      for (const name of readdirSync(work)) {
        const pidFile = join(work, name);
        const pid = Number(readFileSync(pidFile, 'utf8'));
        const isOwn = (candidate: number): boolean => {
          try {
            return isAlive(candidate) && readFileSync(`/proc/${candidate}/environ`, 'utf8').includes(pidFile);
          } catch {
            return false;
          }
        };
        if (isOwn(pid)) signalOwn(pid, 'SIGKILL', isOwn);
      }
    }
  });

  it('npm run demo starts the sample daemon, shows its log and a reload, and stops it', async () => {
    const env = npmEnv({ ...cleanEnv(), npm_config_offline: 'true' });
    const result = await children
      .startCommand('npm', ['run', '--silent', 'demo'], { env, cwd: ROOT })
      .waitForExit(90_000);
    expect(result.code, `${result.stdout}${result.stderr}`).to.equal(0);
    expect(result.stdout).to.match(/myapp is running \(pid \d+\)\n/);
    expect(result.stdout).to.include('pid file removed\n');
    expect(result.stdout).to.match(/\(INFO\) myapp : configuration reloaded\n/);
    expect(result.stdout).to.match(/\(INFO\) myapp : stopping after \d+ iterations\n/);
    expect(result.stdout, 'nothing rebuilt: npm test built it all').to.not.include('compiling');
  });
});
