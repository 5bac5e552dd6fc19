import type { WorkerState } from './cluster-primary';
import { readWorkersState, workersStatePath } from './workers-state-file';

/** One worker as `daemon status` shows it. */
export interface WorkerStatus {
  readonly slot: number;
  readonly pid: number;
  /** Seconds since it started. */
  readonly uptime: number;
  /** How many times the worker of this slot was replaced after a crash. */
  readonly restarts: number;
  readonly ready: boolean;
}

/** The workers of the daemon `primaryPid` (the live process the pid file names), from its state file; undefined without workers. */
export function listWorkers(pidFile: string, primaryPid: number, now = Date.now()): WorkerStatus[] | undefined {
  return readWorkersState(workersStatePath(pidFile), primaryPid)?.map((worker: WorkerState) => ({
    slot: worker.slot,
    pid: worker.pid,
    uptime: Math.max(0, Math.floor((now - worker.startedAt) / 1000)),
    restarts: worker.restarts,
    ready: worker.isReady,
  }));
}

/** `  worker 1: pid 4243, up 1h02m, 0 restarts, ready`, a line each. */
export function describeWorkers(workers: readonly WorkerStatus[]): string {
  return workers
    .map((worker) => {
      const restarts = `${worker.restarts} restart${worker.restarts === 1 ? '' : 's'}`;
      return `  worker ${worker.slot}: pid ${worker.pid}, up ${duration(worker.uptime)}, ${restarts}, ${worker.ready ? 'ready' : 'not ready'}\n`;
    })
    .join('');
}

function duration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (hours > 0) return `${hours}h${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${seconds}s`;
}
