import { fstatSync } from 'node:fs';
import type { LogLevel } from './log-level';

/**
 * sd-daemon's priority prefixes, which journald strips from each line it reads
 * on a stream and stores as the line's PRIORITY: fatal is `<2>` (crit, as
 * Python's journal handler maps CRITICAL), error `<3>`, warning `<4>`, info
 * `<6>`, debug `<7>`.
 */
export const JOURNAL_PRIORITY: Readonly<Record<LogLevel, string>> = {
  debug: '<7>',
  info: '<6>',
  warning: '<4>',
  error: '<3>',
  fatal: '<2>',
};

/**
 * Whether a stream is connected to the journal: systemd sets `JOURNAL_STREAM`
 * to `<device>:<inode>` of the socket it gives the service as stdout/stderr,
 * and the stream's descriptor still is that socket (not a file or pipe the
 * service redirected it to).
 */
export function isJournalStream(stream: unknown, env: NodeJS.ProcessEnv = process.env): boolean {
  const journal = env.JOURNAL_STREAM;
  const fd = (stream as { fd?: unknown } | undefined)?.fd;
  if (!journal || typeof fd !== 'number') return false;
  const match = /^(\d+):(\d+)$/.exec(journal);
  if (!match) return false;
  try {
    const stat = fstatSync(fd, { bigint: true });
    return stat.dev === BigInt(match[1]) && stat.ino === BigInt(match[2]);
  } catch {
    return false;
  }
}

/** Text (one or more `\n`-ended lines) with the level's priority prefix on every line. */
export function withPriority(level: LogLevel, text: string): string {
  const prefix = JOURNAL_PRIORITY[level];
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return `${prefix}${body.replaceAll('\n', `\n${prefix}`)}\n`;
}
