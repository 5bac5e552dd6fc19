import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChildProcesses } from '../helpers/process';

const TASKS = resolve(__dirname, '../../samples/tasks/main.js');

describe('the tasks sample, run as a user would', () => {
  const children = new ChildProcesses();
  let dir: string;
  const run = (...args: string[]) => children.runNode(TASKS, args, { cwd: dir, env: { COLUMNS: '80' } });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mortar-tasks-'));
  });
  afterEach(async () => {
    await children.endAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds, lists, finishes and tags tasks in ./tasks.json', async () => {
    expect((await run('list')).stdout).to.equal('nothing to do\n');
    expect(await run('add', 'buy milk', '--priority', '1', '-t', 'home', '-t', 'shop')).to.deep.include({
      code: 0,
      stdout: 'added #1: buy milk\n',
      stderr: '',
    });
    expect((await run('add', 'write report', '-vv')).stdout).to.equal(`added #2: write report\nsaved to tasks.json\n`);
    expect((await run('ls')).stdout).to.equal('  #1 (p1) buy milk [home, shop]\n  #2 (p2) write report\n');
    expect((await run('done', '1')).stdout).to.equal('done #1: buy milk\n');
    expect((await run('list')).stdout).to.equal('  #2 (p2) write report\n');
    expect((await run('list', '--all')).stdout).to.equal('x #1 (p1) buy milk [home, shop]\n  #2 (p2) write report\n');
    expect((await run('tags', 'list')).stdout).to.equal('');
    const json = (await run('list', '--all', '-o', 'json')).stdout;
    expect(json).to.match(/^\[\n {2}\{\n {4}"id": 1,\n {4}"title": "buy milk",\n/);
    expect(JSON.parse(json)).to.deep.equal(JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8')));
    await run('add', 'call mum', '--tag=home');
    expect((await run('tag', 'list')).stdout).to.equal('home\t1\n');
    expect(JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8'))).to.have.length(3);
  });

  it('takes several words and several ids where a command wants them (nargs)', async () => {
    expect((await run('add', 'buy', 'milk', '-p', '1')).stdout).to.equal('added #1: buy milk\n');
    await run('add', 'call', 'mum');
    await run('add', 'pay rent');
    expect((await run('done', '1', '3')).stdout).to.equal('done #1: buy milk\ndone #3: pay rent\n');
    expect((await run('list')).stdout).to.equal('  #2 (p2) call mum\n');
    const missing = await run('done', '2', '9');
    expect(missing).to.deep.include({ code: 1, stderr: 'tasks: error: There is no task #9.\n' });
    expect((await run('list')).stdout).to.equal('  #2 (p2) call mum\n');
  });

  it('takes a default priority from the [base] section of its config, here the environment', async () => {
    const urgent = await children.runNode(TASKS, ['add', 'fix the roof'], {
      cwd: dir,
      env: { TASKS_BASE_PRIORITY: '1' },
    });
    expect(urgent.code).to.equal(0);
    expect((await run('ls')).stdout).to.equal('  #1 (p1) fix the roof\n');
    const help = await children.runNode(TASKS, ['add', '--help'], {
      cwd: dir,
      env: { TASKS_BASE_PRIORITY: '1', COLUMNS: '80' },
    });
    expect(help.stdout).to.contain('priority, 1 is highest (default: 1)');
    const wrong = await children.runNode(TASKS, ['add', 'x'], { cwd: dir, env: { TASKS_BASE_PRIORITY: '7' } });
    expect(wrong).to.deep.include({
      code: 1,
      stderr:
        "tasks: error: invalid value '7' for [base] priority (from environment variable TASKS_BASE_PRIORITY): choose from '1', '2', '3'\n",
    });
  });

  it('takes the file from the environment', async () => {
    const file = join(dir, 'elsewhere.json');
    const result = await children.runNode(TASKS, ['add', 'x'], { cwd: dir, env: { TASKS_TASKS_FILE: file } });
    expect(result.code).to.equal(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))[0].title).to.equal('x');
  });

  it('prints help with aliases and without the hidden command', async () => {
    const { code, stdout } = await run('--help');
    expect(code).to.equal(0);
    expect(stdout).to.equal(
      [
        'usage: tasks [-h] [--debug] [--quiet] [--version] [-o FORMAT] [-v]',
        '             {add,list,done,completion,tag} ...',
        '',
        'Keeps a small list of tasks in a file.',
        '',
        'options:',
        '  -h, --help            show this help message and exit',
        '  --debug               toggle debug output',
        '  --quiet               suppress all console log output',
        "  --version             show the program's version and exit",
        '  -o FORMAT, --output FORMAT',
        '                        output format: json or text (default: text)',
        '  -v, --verbose         more output (repeat for even more)',
        '',
        'commands:',
        '  add                   add a task',
        '  list (ls)             list open tasks',
        '  done                  mark tasks as done',
        '  completion            print a shell completion script (bash, zsh or fish)',
        '  tag (tags)            Work with tags.',
        '',
      ].join('\n'),
    );
    expect((await run('--version')).stdout).to.equal('tasks 1.0.0\n');
  });

  it('rejects bad input with exit 2 and one line naming the culprit, changing nothing', async () => {
    await run('add', 'keep me');
    const before = readFileSync(join(dir, 'tasks.json'), 'utf8');
    const cases: [string[], string][] = [
      [
        ['add', 'x', '--priority', '5'],
        "tasks: error: invalid value '5' for option '--priority' (choose from '1', '2', '3')",
      ],
      [['add', 'x', '--priority', 'high'], "tasks: error: option '--priority' expects an integer, got 'high'"],
      [['add'], "tasks: error: missing required argument 'title'"],
      [['lst'], "tasks: error: unknown command 'lst' (did you mean 'list'?)"],
      [['add', 'x', '--prority', '1'], "tasks: error: unknown option '--prority' (did you mean '--priority'?)"],
      [['done', 'one'], "tasks: error: argument 'id' expects an integer, got 'one'"],
      [['ls', '-o', 'yml'], "tasks: error: invalid value 'yml' for option '--output' (choose from 'json', 'text')"],
      [
        ['ls', '--output=jsn'],
        "tasks: error: invalid value 'jsn' for option '--output' (choose from 'json', 'text'; did you mean 'json'?)",
      ],
    ];
    for (const [args, message] of cases) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).to.equal(2);
      const lines = result.stderr.split('\n');
      expect(lines[0], args.join(' ')).to.equal(message);
      expect(lines[1], args.join(' ')).to.match(/^usage: tasks /);
      expect(result.stderr, args.join(' ')).not.to.match(/\n\s+at /);
    }
    expect(readFileSync(join(dir, 'tasks.json'), 'utf8')).to.equal(before);
  });

  it('reports a broken data file and a missing task with exit 1, one line', async () => {
    const missing = await run('done', '9');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.equal('tasks: error: There is no task #9.\n');
    writeFileSync(join(dir, 'tasks.json'), '{not json');
    const broken = await run('ls');
    expect(broken.code).to.equal(1);
    expect(broken.stderr).to.equal('tasks: error: tasks.json is not a task file (invalid JSON); fix or remove it.\n');
    expect(readFileSync(join(dir, 'tasks.json'), 'utf8')).to.equal('{not json');
  });
});
