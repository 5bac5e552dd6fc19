/**
 * A multi-command program: typed options, aliases, a hidden command, a
 * nested controller (`tasks tag ...`), a service injected into controllers,
 * handlers typed from their declarations, and shell completion.
 *
 *   node build/samples/tasks/main.js --help
 *   node build/samples/tasks/main.js add buy milk --priority 2 --tag home
 *   node build/samples/tasks/main.js ls
 *   node build/samples/tasks/main.js ls -o json     # the same tasks, as JSON
 *   node build/samples/tasks/main.js done 1 2
 *   node build/samples/tasks/main.js tag list
 *   source <(node build/samples/tasks/main.js completion bash)
 *
 * Tasks are kept in the file `[tasks] file` names (default ./tasks.json;
 * TASKS_TASKS_FILE=/path overrides it). Options not given take their value
 * from the `[base]` section: TASKS_BASE_PRIORITY=1 makes new tasks urgent.
 */
import { App, CompletionController, Controller, Expose, FrameworkError, arg, args, type ArgsOf } from 'mortar';
import { TaskStore, type Task } from './task-store';

const baseArgs = args(arg(['-v', '--verbose'], { action: 'count', help: 'more output (repeat for even more)' }));

const addArgs = args(
  arg('title', { nargs: '+', help: 'what to do' }),
  arg(['-p', '--priority'], { type: 'integer', choices: [1, 2, 3], default: 2, help: 'priority, 1 is highest' }),
  arg(['-t', '--tag'], { action: 'append', metavar: 'TAG', help: 'a tag (repeatable)' }),
);

const doneArgs = args(arg('id', { nargs: '+', type: 'integer', help: 'the task numbers' }));

@Controller({
  label: 'base',
  description: 'Keeps a small list of tasks in a file.',
  arguments: baseArgs,
})
class TasksController {
  constructor(
    private readonly app: App,
    private readonly store: TaskStore,
  ) {}

  @Expose({ help: 'add a task', arguments: addArgs })
  add(args: ArgsOf<typeof baseArgs> & ArgsOf<typeof addArgs>): void {
    const tasks = this.store.load();
    const title = args.title.join(' ');
    const task: Task = {
      id: Math.max(0, ...tasks.map((t) => t.id)) + 1,
      title,
      priority: args.priority,
      tags: args.tag,
      done: false,
    };
    tasks.push(task);
    this.store.save(tasks);
    this.app.stdout.write(`added #${task.id}: ${task.title}\n`);
    if (args.verbose > 0) this.app.stdout.write(`saved to ${this.store.path}\n`);
  }

  // Returns the tasks: `--output json` prints them as they are, `text` (the default) through the template.
  @Expose({
    help: 'list open tasks',
    aliases: ['ls'],
    arguments: [arg(['-a', '--all'], { action: 'store_true', help: 'include finished tasks' })],
    template: formatTasks,
  })
  list(args: { all: boolean }): Task[] {
    const tasks = this.store.load().filter((task) => args.all || !task.done);
    return tasks.sort((a, b) => a.priority - b.priority || a.id - b.id);
  }

  @Expose({ help: 'mark tasks as done', arguments: doneArgs })
  done(args: ArgsOf<typeof doneArgs>): number {
    const tasks = this.store.load();
    const finished = args.id.map((id) => {
      const task = tasks.find((t) => t.id === id);
      if (!task) throw new FrameworkError(`There is no task #${id}.`);
      return task;
    });
    for (const task of finished) task.done = true;
    this.store.save(tasks);
    for (const task of finished) this.app.stdout.write(`done #${task.id}: ${task.title}\n`);
    return 0;
  }

  @Expose({ hide: true, help: 'remove every task' })
  purge(): void {
    this.store.save([]);
  }
}

/** The text layout of `list`: one task a line, `x` for the finished ones. */
function formatTasks(tasks: Task[]): string {
  if (tasks.length === 0) return 'nothing to do\n';
  return tasks
    .map(
      (task) =>
        `${task.done ? 'x' : ' '} #${task.id} (p${task.priority}) ${task.title}${task.tags.length ? ` [${task.tags.join(', ')}]` : ''}\n`,
    )
    .join('');
}

@Controller({
  label: 'tag',
  stackedOn: 'base',
  stackedType: 'nested',
  description: 'Work with tags.',
  aliases: ['tags'],
})
class TagController {
  constructor(
    private readonly app: App,
    private readonly store: TaskStore,
  ) {}

  @Expose({ help: 'list tags with their number of open tasks' })
  list(): void {
    const counts = new Map<string, number>();
    for (const task of this.store.load()) {
      if (task.done) continue;
      for (const tag of task.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    for (const [tag, count] of [...counts].sort()) this.app.stdout.write(`${tag}\t${count}\n`);
  }
}

void new App('tasks', {
  controllers: [TasksController, TagController, CompletionController],
  configDefaults: { tasks: { file: 'tasks.json' } },
  configFiles: [],
  output: 'text',
  version: '1.0.0',
}).main();
