// SIGINT/SIGTERM while plan or apply runs terraform. Terraform stops gracefully on one interrupt
// (finishes the calls in flight, saves the state, releases the lock) and aborts at once on a second.
// Terraform runs in its own process group (runTerraform), so a ctrl-C in the terminal reaches it only
// through here, and only the signals taken as a new, deliberate interrupt are forwarded:
// - the first one, always;
// - a copy of the previous signal (same kind, within SAME_SIGNAL_MS, or before terraform answered the
//   last one forwarded with "Interrupt received"): the terminal's ctrl-C and npm's copy of it are one;
// - a SIGTERM within GRACE_MS of a forwarded SIGINT: a supervisor escalating its own stop (GitHub's
//   cancel and job timeout send SIGINT, then SIGTERM 7.5 s later, then kill the process tree:
//   https://docs.github.com/en/actions/reference/workflow-cancellation-reference); forwarding it would
//   abort terraform before the kill could. Not forwarded; any signal after it is deliberate;
// - any other signal after terraform answered "Interrupt received": the operator insists, forwarded
//   (terraform aborts at once); before it answered, the second such signal is (terraform hangs).
// Plan runs several terraform processes at once: each forwarded signal goes to every one running.
import type { ChildProcess } from 'node:child_process';
import type { CommandIo } from '../lib/command-io';

export type Interrupt = 'SIGINT' | 'SIGTERM';

/** Where the signals come from: the process for the CLIs, an EventEmitter in tests. */
export interface SignalSource {
  on(signal: Interrupt, listener: () => void): unknown;
  off(signal: Interrupt, listener: () => void): unknown;
}

/** Exit code of an interrupted run: 128 + the signal number, as a shell reports it. */
export const INTERRUPTED_EXIT: Record<Interrupt, number> = { SIGINT: 130, SIGTERM: 143 };

/** Two deliveries of one signal (the terminal's and npm's) come within this of each other. */
const SAME_SIGNAL_MS = 1_000;
/** A SIGTERM this soon after a forwarded SIGINT is a supervisor's escalation, not the operator's. */
const GRACE_MS = 60_000;

/** What terraform prints when it takes an interrupt (plan and apply). */
const ACKNOWLEDGED = /Interrupt received/;

export class Interrupts {
  /** The signals taken, in order. */
  readonly received: Interrupt[] = [];
  private readonly children = new Set<ChildProcess>();
  /** Of the current batch of terraform processes: signals forwarded, when the first, and whether terraform answered the last. */
  private forwarded: Array<{ signal: Interrupt; at: number }> = [];
  private acknowledged = false;
  /** Signals taken as new since the last forward but not forwarded (before an answer, or an escalation held back). */
  private held = 0;
  private last: { signal: Interrupt; at: number } | undefined;
  private readonly listeners = new Map<Interrupt, () => void>();

  constructor(
    private readonly command: string,
    private readonly io: CommandIo,
    private readonly source: SignalSource | undefined,
    /** The clock telling copies and escalations apart. @default Date.now */
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes SIGINT/SIGTERM over (this process no longer exits on them) until `stop()`. */
  start(): void {
    if (!this.source) return;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const listener = () => this.take(signal);
      this.listeners.set(signal, listener);
      this.source.on(signal, listener);
    }
  }

  stop(): void {
    for (const [signal, listener] of this.listeners) this.source?.off(signal, listener);
    this.listeners.clear();
  }

  /** The first signal taken, when there was one: the run stops before its next step. */
  get signal(): Interrupt | undefined {
    return this.received[0];
  }

  /** Whether this run relays signals (terraform then runs in its own process group). */
  get relaying(): boolean {
    return this.source !== undefined;
  }

  /** A terraform process started: signals go to it until `detach`. */
  attach(child: ChildProcess): void {
    // The first of a new batch of processes: none of them has been sent a signal yet.
    if (this.children.size === 0) {
      this.forwarded = [];
      this.acknowledged = false;
      this.held = 0;
    }
    this.children.add(child);
  }

  /** That terraform process has exited. */
  detach(child: ChildProcess): void {
    this.children.delete(child);
  }

  /**
   * A line of terraform's output, in the order it came: only "Interrupt received" says terraform took
   * the signal. Any other line (a "Still modifying…" written before the signal came) says nothing.
   */
  line(text: string): void {
    if (this.forwarded.length > 0 && ACKNOWLEDGED.test(text)) this.acknowledged = true;
  }

  private take(signal: Interrupt): void {
    const at = this.now();
    const previous = this.last;
    this.last = { signal, at };
    this.received.push(signal);
    const say = (line: string) => this.io.error(`${this.command}: ${line}`);
    if (this.children.size === 0) {
      if (this.received.length === 1) say(`${signal} received: stopping before the next step`);
      return;
    }
    if (this.forwarded.length === 0) {
      this.forward(signal, at);
      say(`${signal} received: terraform was asked to stop gracefully (it finishes the calls in flight, saves the state and releases the lock); waiting for it to exit. A second signal aborts terraform at once (the state may then be lost and the lock stay held).`);
      return;
    }
    // The same signal delivered twice (the terminal's ctrl-C and npm's copy of it): one interrupt.
    if (previous !== undefined && previous.signal === signal && at - previous.at < SAME_SIGNAL_MS) {
      say(`${signal} received again ${this.acknowledged ? 'at once' : 'before terraform took the first one'}: taken as the same interrupt; send another to abort terraform at once.`);
      return;
    }
    const first = this.forwarded[0];
    if (signal === 'SIGTERM' && first.signal === 'SIGINT' && this.forwarded.length === 1 && this.held === 0 && at - first.at < GRACE_MS) {
      this.held++;
      say(`SIGTERM received ${((at - first.at) / 1000).toFixed(1)} s after SIGINT: taken as a supervisor escalating its stop (CI cancel or timeout), not forwarded: terraform goes on stopping gracefully. Another signal aborts it at once.`);
      return;
    }
    if (this.acknowledged || this.held > 0) {
      this.forward(signal, at);
      say(`${signal} received again: forwarded; terraform aborts at once: what it was doing may not be in the state, and the state lock may stay held (the next plan says how to release it).`);
      return;
    }
    // Not answered yet: terraform may not have seen the first one; a further signal insists.
    this.held++;
    say(`${signal} received again before terraform took the first one: taken as the same interrupt; send another to abort terraform at once.`);
  }

  private forward(signal: Interrupt, at: number): void {
    this.forwarded.push({ signal, at });
    this.acknowledged = false;
    this.held = 0;
    for (const child of this.children) child.kill(signal);
  }
}

/** Runs `body` with SIGINT/SIGTERM taken over (see Interrupts) and given back, whatever happens. */
export async function withInterrupts<T>(command: string, options: { readonly io: CommandIo; readonly signals?: SignalSource; readonly now?: () => number }, body: (interrupts: Interrupts) => Promise<T>): Promise<T> {
  const interrupts = new Interrupts(command, options.io, options.signals, options.now);
  interrupts.start();
  try {
    return await body(interrupts);
  } finally {
    interrupts.stop();
  }
}
