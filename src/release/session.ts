// What every release step shares: the clients, the clock, the operator's output, and the signal that
// SIGINT/SIGTERM abort. Waits go through `waitCall` and `pause`: AWS errors worth another try are
// retried with capped exponential backoff until the wait's deadline, a line is printed at least once
// a minute, and every call carries an abort signal, so neither a hung endpoint nor a signal outlasts
// the deadline. Clock and sleep are injected so tests drive hours of waiting instantly.
import type { ReleaseClients } from './clients';
import { errorText, isTransient } from './errors';

/** Time, injected: tests advance a fake clock instead of waiting. */
export interface Timing {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or early when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realTiming: Timing = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** Where progress goes: `info` for steps and details, `error` for what went wrong. */
export interface ReleaseLog {
  info(line: string): void;
  error(line: string): void;
}

/** A wait must stop: the deadline passed, AWS kept failing, or a signal arrived. */
export class WaitStopped extends Error {
  constructor(
    message: string,
    readonly interrupted: boolean,
  ) {
    super(message);
    this.name = 'WaitStopped';
  }
}

/** Longest pause between retries of a failing call. */
export const MAX_BACKOFF_MS = 60_000;
/** A wait prints at least this often. */
export const HEARTBEAT_MS = 60_000;
/**
 * How long one call of a wait may take before it is cut off and retried: with the poll interval it
 * bounds the time between two heartbeat checks, which is what makes HEARTBEAT_MS a guarantee.
 */
export const WAIT_CALL_BUDGET_MS = 20_000;
/** How long a clean-up call after a signal or failure may take (stop the task, read its log tail, deregister). */
export const CLEANUP_CALL_MS = 20_000;
/**
 * How long one call outside a wait may take (the SDK's three attempts of at most 15 s each, and its
 * retry delays). Calls that must finish even after SIGINT/SIGTERM (RunTask, UpdateService,
 * RegisterTaskDefinition, writing what happened) get a fresh signal of this length instead of the
 * interrupt signal: cutting one off mid-flight would leave the tool not knowing what AWS did.
 */
export const CALL_BUDGET_MS = 60_000;

export class Session {
  private lastOutputAt: number;
  /** What the current wait prints when it has been quiet (set by `heartbeat`, cleared by each step). */
  private statusLine: string | undefined;

  constructor(
    readonly clients: ReleaseClients,
    readonly timing: Timing,
    private readonly log: ReleaseLog,
    /** Milliseconds between status polls. */
    readonly pollMs: number,
    /** Aborted on SIGINT/SIGTERM (reason: the signal's name). */
    readonly signal: AbortSignal = new AbortController().signal,
  ) {
    this.lastOutputAt = timing.now();
  }

  step(text: string): void {
    this.statusLine = undefined;
    this.info(`==> ${text}`);
  }

  detail(text: string): void {
    this.info(`    ${text}`);
  }

  warn(text: string): void {
    this.lastOutputAt = this.timing.now();
    this.log.error(`warning: ${text}`);
  }

  error(text: string): void {
    this.lastOutputAt = this.timing.now();
    this.log.error(text);
  }

  info(text: string): void {
    this.lastOutputAt = this.timing.now();
    this.log.info(text);
  }

  /**
   * Sets the wait's status line and prints it if the wait has been quiet for `quietMs`. Checked here and
   * before every call and pause of a wait, which are at most max(poll interval, WAIT_CALL_BUDGET_MS)
   * apart (a backoff pause longer than that follows a printed line): so a line comes at least every
   * HEARTBEAT_MS, however slow AWS answers.
   */
  heartbeat(line: string): void {
    this.statusLine = line;
    this.keepAlive();
  }

  /** How long a wait may stay quiet before its status line is printed again. */
  get quietMs(): number {
    return Math.max(0, HEARTBEAT_MS - Math.max(this.pollMs, WAIT_CALL_BUDGET_MS));
  }

  private keepAlive(what?: string): void {
    if (this.timing.now() - this.lastOutputAt < this.quietMs) return;
    const line = this.statusLine ?? (what ? `still ${what}` : undefined);
    if (line) this.detail(line);
  }

  /** Whole minutes since `start` (for progress lines). */
  minutesSince(start: number): number {
    return Math.floor((this.timing.now() - start) / 60_000);
  }

  /** Why a signal stopped the tool, or undefined. */
  get interruption(): string | undefined {
    return this.signal.aborted ? String(this.signal.reason ?? 'a signal') : undefined;
  }

  /**
   * One AWS call of a wait. Throttling, 5xx, timeouts and network errors are retried with backoff
   * (doubling from the poll interval, capped at a minute) until `deadline`; any other error, the
   * deadline or a signal throws WaitStopped. The call is aborted at the deadline or on a signal.
   */
  async waitCall<T>(what: string, deadline: number, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    let backoff = this.pollMs;
    let failures = 0;
    for (;;) {
      this.checkInterrupted();
      this.keepAlive(what);
      // Every call gets a window of at least a poll interval, so a poll right at the deadline still reads the truth.
      const byDeadline = AbortSignal.timeout(Math.max(deadline - this.timing.now(), this.pollMs, 1_000));
      const byBudget = AbortSignal.timeout(WAIT_CALL_BUDGET_MS);
      try {
        return await call(AbortSignal.any([this.signal, byDeadline, byBudget]));
      } catch (error) {
        this.checkInterrupted();
        if (byDeadline.aborted) throw new WaitStopped(`the deadline passed while ${what} (the call was cut off)`, false);
        const why = byBudget.aborted ? `no answer in ${WAIT_CALL_BUDGET_MS / 1000} s` : errorText(error);
        if (!byBudget.aborted && !isTransient(error)) throw new WaitStopped(`${what} failed: ${why}`, false);
        failures++;
        const pause = Math.min(backoff, MAX_BACKOFF_MS, Math.max(0, deadline - this.timing.now()));
        this.detail(`AWS error while ${what} (${why}); try ${failures + 1} in ${Math.round(pause / 1000)} s`);
        if (pause <= 0) throw new WaitStopped(`the deadline passed while ${what}; last error: ${why}`, false);
        await this.timing.sleep(pause, this.signal);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Sleeps one poll interval (less if the deadline is nearer); false once the deadline has passed. */
  async pause(deadline: number): Promise<boolean> {
    this.checkInterrupted();
    const remaining = deadline - this.timing.now();
    if (remaining <= 0) return false;
    this.keepAlive();
    await this.timing.sleep(Math.min(this.pollMs, remaining), this.signal);
    this.checkInterrupted();
    return true;
  }

  checkInterrupted(): void {
    const why = this.interruption;
    if (why) throw new WaitStopped(`interrupted by ${why}`, true);
  }
}
