import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { App, FrameworkError } from 'mortar';
import { injectable } from 'tsyringe';

export interface Task {
  id: number;
  title: string;
  priority: number;
  tags: string[];
  done: boolean;
}

/** Keeps tasks in a JSON file (`[tasks] file`), written atomically. A plain service: controllers get it injected. */
@injectable()
export class TaskStore {
  constructor(private readonly app: App) {}

  get path(): string {
    return String(this.app.config.get('tasks', 'file'));
  }

  load(): Task[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new FrameworkError(`Cannot read ${this.path}: ${(error as Error).message}`);
    }
    try {
      return JSON.parse(text) as Task[];
    } catch {
      throw new FrameworkError(`${this.path} is not a task file (invalid JSON); fix or remove it.`);
    }
  }

  save(tasks: Task[]): void {
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(tasks, null, 2)}\n`);
    renameSync(temporary, this.path);
  }
}
