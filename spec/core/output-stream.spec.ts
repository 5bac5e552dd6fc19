import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { cleanEnv } from '../helpers/process';

const DIST = resolve(__dirname, '../../../dist/core/output-stream.js');

/** Runs a script that writes through an OutputStream, with stdout piped to us. */
function run(script: string): Promise<{
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  child: ReturnType<typeof spawn>;
}> {
  const child = spawn(
    process.execPath,
    ['-e', `const { OutputStream } = require(${JSON.stringify(DIST)});\n${script}`],
    {
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  return once(child, 'close').then(([code, signal]) => ({ code, signal, stdout, stderr, child }));
}

describe('OutputStream (the default stdout and stderr)', () => {
  it('writes strings and bytes to its descriptor, in order, and calls back', async () => {
    const result = await run(`
      const out = new OutputStream(1), err = new OutputStream(2);
      out.write('one\\n'); err.write('to stderr\\n'); out.write(Buffer.from('two\\n'));
      out.write('three\\n', () => out.end('four\\n', () => out.write('called back\\n')));
    `);
    expect(result.code).to.equal(0);
    expect(result.stdout).to.equal('one\ntwo\nthree\nfour\ncalled back\n');
    expect(result.stderr).to.equal('to stderr\n');
  });

  it('writes a large output whole, even to a slow reader', async () => {
    const result = await run(
      `const out = new OutputStream(1); for (let i = 0; i < 2000; i++) out.write('x'.repeat(999) + '\\n');`,
    );
    expect(result.code).to.equal(0);
    expect(result.stdout.length).to.equal(2000 * 1000);
  });

  it('ends quietly when the reader goes away (EPIPE), without a stack trace', async () => {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const { OutputStream } = require(${JSON.stringify(DIST)}); const out = new OutputStream(1);
      for (let i = 0; i < 100000; i++) out.write('line ' + i + '\\n'); process.stderr.write('writable=' + out.writable + '\\n');`,
      ],
      {
        env: cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.once('data', () => child.stdout!.destroy());
    const [code] = await once(child, 'close');
    expect(code).to.equal(0);
    expect(stderr).to.equal('writable=false\n');
  });
});

describe('help on a terminal', () => {
  it('wraps to the terminal width, read from the terminal itself', function () {
    if (spawnSync('script', ['--version']).error) {
      console.log('      (skipped: `script` from util-linux is needed to run the sample on a pseudo-terminal)');
      this.skip();
    }
    const sample = resolve(__dirname, '../../samples/myapp/main.js');
    const result = spawnSync(
      'script',
      ['-qc', `stty cols 50; ${JSON.stringify(process.execPath)} ${JSON.stringify(sample)} --help`, '/dev/null'],
      {
        env: cleanEnv(),
        encoding: 'utf8',
      },
    );
    expect(result.status).to.equal(0);
    const lines = result.stdout.replace(/\r/g, '').split('\n').filter(Boolean);
    expect(lines[0]).to.match(/^usage: myapp /);
    expect(Math.max(...lines.map((line) => line.length)))
      .to.be.at.most(50)
      .and.to.be.at.least(40);
  });
});
