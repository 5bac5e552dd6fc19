/** What {@link CrashBudget.record} decides about one crash. */
export interface CrashVerdict {
  /** Whether the crashes within the window reached the limit: the daemon stops instead of restarting. */
  readonly isLoop: boolean;
  /** Crashes within the window, this one included. */
  readonly recent: number;
  /** How long to wait before starting the replacement, in ms: doubles with each recent crash, from 100 ms up to 5 s. */
  readonly delayMs: number;
}

const FIRST_DELAY_MS = 100;
const LONGEST_DELAY_MS = 5000;

/**
 * Counts worker crashes in a sliding window: `limit` crashes within
 * `windowMs` make a crash loop, which stops the daemon rather than
 * restarting workers that fail again at once. Below the limit, each crash's
 * replacement waits longer than the last one's (exponential backoff).
 */
export class CrashBudget {
  private readonly crashes: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Records a crash at `now` (ms) and says what to do about it. */
  record(now: number): CrashVerdict {
    this.crashes.push(now);
    while (this.crashes.length > 0 && this.crashes[0] <= now - this.windowMs) this.crashes.shift();
    const recent = this.crashes.length;
    return {
      isLoop: recent >= this.limit,
      recent,
      delayMs: Math.min(LONGEST_DELAY_MS, FIRST_DELAY_MS * 2 ** (recent - 1)),
    };
  }
}
