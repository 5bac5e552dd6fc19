import type { Logger } from '../../core/logger';
import type { SystemdNotifier } from '../daemon/systemd-notify';

const NAMESPACE = 'ext.systemd.progress';
/** How often a heartbeat extends systemd's timeout, in ms. */
export const HEARTBEAT_MS = 1000;
/** How far ahead each heartbeat moves systemd's timeout: a few heartbeats, so one late tick is no failure. */
const EXTENSION_MS = 3 * HEARTBEAT_MS;

/** What a phase is: start-up (until ready) or shutdown (until the process ends). */
export type Phase = 'start' | 'stop';

/**
 * Progress reports to systemd: `STATUS=` lines (`app.status(text)`), and
 * `EXTEND_TIMEOUT_USEC=` heartbeats while the app starts (until ready) and
 * while it stops, so that a slow start survives a short `TimeoutStartSec=`.
 * The heartbeats come from a timer on the event loop (a blocked loop sends
 * none) and end at a ceiling counted from the phase's beginning
 * (`[daemon] start_timeout`, `stop_timeout`): each extends the timeout at
 * most to the ceiling, so a start that hangs fails there.
 */
export class Progress {
  private timer: NodeJS.Timeout | undefined;
  private phase: Phase | undefined;
  /** When the phase began, in ms of `performance.now()`. */
  private began = 0;
  private readonly ceilings: Record<Phase, number>;

  constructor(
    private readonly notifier: SystemdNotifier,
    private readonly log: Logger,
    ceilings: Readonly<Record<Phase, number>>,
  ) {
    this.ceilings = { ...ceilings };
  }

  /** Sets a phase's ceiling in seconds (0: no heartbeats in that phase), e.g. once the config is read. */
  setCeiling(phase: Phase, seconds: number): void {
    this.ceilings[phase] = seconds;
  }

  /** `STATUS=text`, shown by `systemctl status` (one line: newlines become spaces). Returns whether it was sent. */
  status(text: string): boolean {
    return this.notifier.notify(`STATUS=${String(text).replace(/[\r\n]+/g, ' ')}`);
  }

  /**
   * Begins a phase's heartbeats; `sinceMs` (of `performance.now()`) is when it
   * began, by default now. A stop phase replaces a start phase; a phase
   * already running goes on.
   */
  begin(phase: Phase, sinceMs: number = performance.now()): void {
    // Without the means to send, heartbeats would only repeat the notifier's warning, meant for READY=1.
    if (!this.notifier.canSend || this.phase === phase || this.ceilings[phase] <= 0) return;
    this.end();
    this.phase = phase;
    this.began = sinceMs;
    this.log.debug(
      `extending systemd's ${phase} timeout every ${HEARTBEAT_MS} ms, up to ${this.ceilings[phase]} s`,
      NAMESPACE,
    );
    this.timer = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.timer.unref();
    this.beat();
  }

  /** Ends the heartbeats (the app is ready, or it hands over to another process). */
  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.phase = undefined;
  }

  private beat(): void {
    const phase = this.phase;
    if (phase === undefined) return;
    const remainingMs = this.ceilings[phase] * 1000 - (performance.now() - this.began);
    if (remainingMs <= EXTENSION_MS) {
      // The last extension: systemd's timeout now ends at the ceiling.
      this.log.warning(
        `still not ${phase === 'start' ? 'ready' : 'stopped'} ${Math.round((performance.now() - this.began) / 1000)} s after ${phase === 'start' ? 'starting' : 'the stop began'}: ` +
          `systemd's timeout is extended no further than [daemon] ${phase}_timeout (${this.ceilings[phase]} s)`,
        NAMESPACE,
      );
      this.end();
      if (remainingMs > 0) this.notifier.notify(`EXTEND_TIMEOUT_USEC=${Math.round(remainingMs * 1000)}`);
      return;
    }
    this.notifier.notify(`EXTEND_TIMEOUT_USEC=${EXTENSION_MS * 1000}`);
  }
}
