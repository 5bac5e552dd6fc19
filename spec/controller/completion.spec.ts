/**
 * Shell completion, in real shells: the script a program prints is loaded into
 * bash (and zsh and fish when installed), and what the shell would offer for a
 * line is compared with what a user expects.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, CompletionController, Controller, Expose, arg } from 'mortar';
import { ChildProcesses } from '../helpers/process';
import { TextSink } from '../helpers/streams';

const TASKS = resolve(__dirname, '../../samples/tasks/main.js');

/** Whether a shell is installed (asked of bash, so that no shell reads a user's configuration). */
function hasShell(shell: string): boolean {
  return spawnSync('bash', ['-c', `command -v ${shell}`], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

/**
 * Runs a shell script to its end (spawnSync waits for and reaps the shell) and returns its output.
 * HOME is the test's own directory, so no user's shell configuration is read.
 */
function runShell(shell: string, script: string, home: string, args: string[] = []): string {
  const result = spawnSync(shell, args.length > 0 ? args : ['-c', script], {
    cwd: home,
    encoding: 'utf8',
    timeout: 20_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C' },
    input: args.length > 0 ? script : undefined,
  });
  expect(result.status, `${shell}: ${result.stderr}`).to.equal(0);
  expect(result.stderr, shell).to.equal('');
  return result.stdout;
}

/**
 * What bash's completion function offers for each line (the last word is the one
 * completed), one line of output per line, candidates separated by spaces.
 */
function bashCompletions(scriptFile: string, home: string, lines: string[][]): string[] {
  const calls = lines.map((words) => `offer ${words.map((word) => `'${word}'`).join(' ')}`).join('\n');
  const driver = `set -u
source '${scriptFile}'
offer() {
  COMP_WORDS=("$@")
  COMP_CWORD=$(($# - 1))
  COMP_LINE="$*"
  COMP_POINT=\${#COMP_LINE}
  COMPREPLY=()
  "$(complete -p "$1" | sed -e 's/.*-F \\([^ ]*\\) .*/\\1/')" "$1" "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
  echo "\${COMPREPLY[*]}"
}
${calls}
`;
  return runShell('bash', driver, home).split('\n').slice(0, lines.length);
}

describe('shell completion', () => {
  const children = new ChildProcesses();
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-completion-'));
  });
  afterEach(async () => {
    await children.endAll();
    rmSync(dir, { recursive: true, force: true });
  });

  async function tasksScript(shell: string): Promise<string> {
    const result = await children.runNode(TASKS, ['completion', shell], { cwd: dir });
    expect(result.code, result.stderr).to.equal(0);
    const file = join(dir, `tasks.${shell}`);
    writeFileSync(file, result.stdout);
    return file;
  }

  describe('bash, with the tasks sample', () => {
    it('completes `tasks `, `tasks ad` and `tasks add --pri` in a real bash, through COMP_WORDS and COMP_CWORD', async () => {
      const script = await tasksScript('bash');
      expect(
        bashCompletions(script, dir, [
          ['tasks', ''],
          ['tasks', 'ad'],
          ['tasks', 'add', '--pri'],
        ]),
      ).to.deep.equal(['add list ls done completion tag tags', 'add', '--priority']);
    });

    it('completes choices, nested commands, options of every level, and never a hidden command', async () => {
      const script = await tasksScript('bash');
      expect(
        bashCompletions(script, dir, [
          ['tasks', 'add', '--priority', ''],
          ['tasks', 'add', '-p', ''],
          ['tasks', 'add', 'milk', '--priority=2', '-t', 'home', '--'],
          ['tasks', 'add', '--priority=', ''].filter((word) => word !== ''),
          ['tasks', 'add', '--priority', '=', ''],
          ['tasks', '-v', 'tag', ''],
          ['tasks', 'tags', 'l'],
          ['tasks', 'completion', ''],
          ['tasks', 'ls', '-'],
          ['tasks', 'pu'],
          ['tasks', 'purge', '-'],
          ['tasks', 'add', '--', '-'],
          ['tasks', 'add', '--tag', 'x', ''],
          ['tasks', 'ls', '-o', ''],
        ]),
      ).to.deep.equal([
        '1 2 3',
        '1 2 3',
        '--help --debug --quiet --version --output --verbose --priority --tag',
        '--priority=1 --priority=2 --priority=3',
        '1 2 3',
        'list',
        'list',
        'bash zsh fish',
        '-h --help --debug --quiet --version -o --output -v --verbose -a --all',
        '',
        '-h --help --debug --quiet --version -o --output -v --verbose',
        '',
        '',
        'json text',
      ]);
    });

    it('is a static table: the script names every visible command and no hidden one', async () => {
      const result = await children.runNode(TASKS, ['completion', 'bash'], { cwd: dir });
      expect(result.stdout).to.match(/^# bash completion for tasks, generated by `tasks completion bash`\./);
      expect(result.stdout).to.contain("complete -o default -F _tasks 'tasks'");
      expect(result.stdout).not.to.contain('purge');
      expect(result.stdout).not.to.contain('main.js');
    });

    it('refuses a shell it does not know, with the choices', async () => {
      const result = await children.runNode(TASKS, ['completion', 'tcsh'], { cwd: dir });
      expect(result.code).to.equal(2);
      expect(result.stderr.split('\n')[0]).to.equal(
        "tasks: error: invalid value 'tcsh' for argument 'shell' (choose from 'bash', 'zsh', 'fish')",
      );
    });
  });

  describe('bash, with levels, positional words and option values', () => {
    @Controller({
      label: 'base',
      arguments: [arg(['--color'], { choices: ['auto', 'never'] }), arg(['-1'], { action: 'store_true', dest: 'one' })],
    })
    class Base {
      @Expose({
        aliases: ['rm'],
        arguments: [
          arg(['--files'], { nargs: '+' }),
          arg(['--pair'], { nargs: 2 }),
          arg('mode', { choices: ['soft', 'hard'] }),
        ],
      })
      remove(): void {}

      @Expose({ hide: true })
      secret(): void {}
    }

    @Controller({ label: 'deploy', arguments: [arg('env', { choices: ['dev', 'prod'] })] })
    class Deploy {
      @Expose({ arguments: [arg('what', { nargs: '*', choices: ['web', 'db'] })] })
      run(): void {}
    }

    @Controller({ label: 'internals', hide: true })
    class Internals {
      @Expose()
      dump(): void {}
    }

    async function script(shell: string): Promise<string> {
      const stdout = new TextSink();
      const app = new App('ops', {
        controllers: [Base, Deploy, Internals, CompletionController],
        argv: ['completion', shell],
        stdout,
        stderr: new TextSink(),
        configFiles: [],
        handleSignals: false,
      });
      const saved = process.exitCode;
      expect(await app.main()).to.equal(0);
      process.exitCode = saved;
      const file = join(dir, `ops.${shell}`);
      writeFileSync(file, stdout.text);
      return file;
    }

    it("offers a level's positional words before its commands, and skips the values options take", async () => {
      expect(
        bashCompletions(await script('bash'), dir, [
          ['ops', ''],
          ['ops', 'deploy', ''],
          ['ops', 'deploy', 'prod', ''],
          ['ops', 'deploy', 'prod', 'run', ''],
          ['ops', '--color', 'never', 'deploy', 'dev', 'run', 'web', ''],
          ['ops', '--color', ''],
          ['ops', 'rm', '--pair', 'a', ''],
          ['ops', 'rm', '--pair', 'a', 'b', ''],
          ['ops', 'rm', '--files', 'a', 'b', ''],
          ['ops', 'rm', '--files', 'a', '-1', ''],
          ['ops', 'internals', ''],
          ['ops', 'sec'],
        ]),
      ).to.deep.equal([
        'remove rm completion deploy',
        'dev prod',
        'run',
        'web db',
        'web db',
        'auto never',
        '',
        'soft hard',
        '',
        'soft hard',
        '',
        '',
      ]);
    });

    it('gives zsh the same candidates', async function () {
      if (!hasShell('zsh')) {
        console.log('      (skipped: zsh is not installed)');
        this.skip();
      }
      const file = await script('zsh');
      const lines = [
        ['ops', ''],
        ['ops', 'deploy', 'prod', ''],
        ['ops', '--color', ''],
        ['ops', 'rm', '--', ''],
      ];
      const driver = `compdef() { :; }
_files() { print -r -- '(files)'; }
compadd() { [ "$1" = -- ] && shift; print -r -- "$*"; }
source '${file}'
${lines.map((words) => `words=(${words.map((word) => `'${word}'`).join(' ')}); CURRENT=${words.length}; _ops`).join('\n')}
`;
      expect(runShell('zsh', driver, dir, ['-f']).split('\n').slice(0, lines.length)).to.deep.equal([
        'remove rm completion deploy',
        'run',
        'auto never',
        'soft hard',
      ]);
    });

    it('gives fish the same candidates, with help beside commands and options', async function () {
      if (!hasShell('fish')) {
        console.log('      (skipped: fish is not installed)');
        this.skip();
      }
      const file = await script('fish');
      const output = runShell(
        'fish',
        `source '${file}'; complete -C 'ops '; echo ---; complete -C 'ops deploy prod '; echo ---; complete -C 'ops rm --pair a '; echo ---; complete -C 'ops --co'`,
        dir,
      );
      const [commands, level, pair, option] = output.split('---\n').map((block) => block.trim().split('\n').sort());
      expect(commands).to.deep.equal([
        'completion\tprint a shell completion script (bash, zsh or fish)',
        'deploy',
        'remove',
        'rm',
      ]);
      expect(level).to.deep.equal(['run']);
      // A value without choices completes file names (the directory holds the script and what fish keeps in HOME).
      expect(pair).to.include('ops.fish');
      expect(option).to.deep.equal(['--color']);
    });
  });
});
