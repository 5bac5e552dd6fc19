/**
 * HTTP to loopback for the workers specs: a free port, one request, and a
 * bounded keep-alive client loop that counts answers and failures and
 * remembers which pids answered.
 *
 * ```ts
 * const loop = new ClientLoop(port, { connections: 4, maxMs: 10_000 });
 * ...
 * const { ok, failures, pids } = await loop.stop();
 * ```
 */
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** What one GET answered. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** One GET to 127.0.0.1, with its own connection unless an agent is given; rejects on a network error or after `timeoutMs`. */
export function get(port: number, path: string, options: { agent?: Agent; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = request(
      { host: '127.0.0.1', port, path, agent: options.agent ?? false, timeout: options.timeoutMs ?? 5000 },
      (response) => {
        let body = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, body }));
        response.once('error', reject);
      },
    );
    call.once('timeout', () =>
      call.destroy(new Error(`no answer from 127.0.0.1:${port}${path} within ${options.timeoutMs ?? 5000} ms`)),
    );
    call.once('error', reject);
    call.end();
  });
}

/** The pid in a `pid <n>` (or `hello from pid <n>`) answer. */
export function answeringPid(answer: Answer): number | undefined {
  const match = /(?:^|\s)pid (\d+)$/m.exec(answer.body);
  return match ? Number(match[1]) : undefined;
}

/** A failed request of a {@link ClientLoop}. */
export interface Failure {
  readonly reason: string;
  /** The pid that last answered this client (on this connection, or the one a failure replaced), if one did. */
  readonly lastPid?: number;
}

/** What a {@link ClientLoop} saw. */
export interface LoopResult {
  /** Requests answered 200. */
  readonly ok: number;
  /** Requests that failed (network error, timeout, another status): why, and the pid that last answered on that connection. */
  readonly failures: Failure[];
  /** The pids that answered, with how many answers each. */
  readonly pids: Map<number, number>;
}

/**
 * `connections` clients, each sending GET / one after the other over its own
 * keep-alive connection to 127.0.0.1, until {@link stop} or after `maxMs`
 * (bounded: it stops by itself).
 */
export class ClientLoop {
  private readonly agents: Agent[];
  private readonly result = { ok: 0, failures: [] as Failure[], pids: new Map<number, number>() };
  private isRunning = true;
  private readonly loops: Promise<void>[];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly port: number,
    options: { connections?: number; maxMs?: number; path?: string } = {},
  ) {
    const connections = options.connections ?? 4;
    this.agents = Array.from({ length: connections }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    this.timer = setTimeout(() => (this.isRunning = false), options.maxMs ?? 30_000);
    this.loops = this.agents.map((agent) => this.loop(agent, options.path ?? '/'));
  }

  /** Answers so far. */
  get answered(): number {
    return this.result.ok;
  }

  /** Stops after the requests in flight and resolves to what was seen. */
  async stop(): Promise<LoopResult> {
    this.isRunning = false;
    clearTimeout(this.timer);
    await Promise.all(this.loops);
    for (const agent of this.agents) agent.destroy();
    return this.result;
  }

  private async loop(agent: Agent, path: string): Promise<void> {
    let lastPid: number | undefined;
    while (this.isRunning) {
      try {
        const answer = await get(this.port, path, { agent });
        const pid = answeringPid(answer);
        if (answer.status !== 200 || pid === undefined) {
          this.result.failures.push({ reason: `status ${answer.status}: ${answer.body.trim()}`, lastPid });
        } else {
          this.result.ok++;
          this.result.pids.set(pid, (this.result.pids.get(pid) ?? 0) + 1);
        }
        lastPid = pid;
      } catch (error) {
        // The pid is kept: the client's next connection, opened at once, can still be handed to
        // the worker that just failed it (the cluster primary learns of a killed worker a moment late).
        this.result.failures.push({ reason: (error as Error).message, lastPid });
      }
    }
  }
}
