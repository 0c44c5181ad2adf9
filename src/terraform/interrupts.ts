// SIGINT/SIGTERM while plan or apply runs terraform. Terraform stops gracefully on one interrupt
// (finishes the calls in flight, saves the state, releases the lock) and aborts at once on a second.
// Terraform runs in its own process group (runTerraform), so a ctrl-C in the terminal reaches it only
// through here, exactly once per signal this process takes as new: otherwise the terminal's SIGINT plus
// a forwarded one (ours, or npm's, which also forwards to its child) would be "two interrupts" and
// terraform would abort without saving the state or releasing the lock. Plan runs several terraform
// processes at once: each signal goes to every one running.
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

export class Interrupts {
  /** The signals taken, in order. */
  readonly received: Interrupt[] = [];
  private readonly children = new Set<ChildProcess>();
  private forwarded = 0;
  private acknowledged = false;
  private readonly listeners = new Map<Interrupt, () => void>();

  constructor(
    private readonly command: string,
    private readonly io: CommandIo,
    private readonly source: SignalSource | undefined,
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
      this.forwarded = 0;
      this.acknowledged = false;
    }
    this.children.add(child);
  }

  /** That terraform process has exited. */
  detach(child: ChildProcess): void {
    this.children.delete(child);
  }

  /** Terraform printed something: after a forwarded signal, it has taken that one. */
  output(): void {
    if (this.forwarded > 0) this.acknowledged = true;
  }

  private take(signal: Interrupt): void {
    this.received.push(signal);
    const say = (line: string) => this.io.error(`${this.command}: ${line}`);
    if (this.children.size === 0) {
      if (this.received.length === 1) say(`${signal} received: stopping before the next step`);
      return;
    }
    if (this.forwarded === 0) {
      this.forward(signal);
      say(`${signal} received: terraform was asked to stop gracefully (it finishes the calls in flight, saves the state and releases the lock); waiting for it to exit. A second signal aborts terraform at once (the state may then be lost and the lock stay held).`);
    } else if (this.acknowledged || this.forwarded > 1 || this.received.length > 2) {
      this.forward(signal);
      say(`${signal} received again: forwarded; terraform aborts at once: what it was doing may not be in the state, and the state lock may stay held (the next plan says how to release it).`);
    } else {
      // Before terraform reacted to the first one: the same ctrl-C arriving twice (terminal + npm).
      say(`${signal} received again before terraform took the first one: taken as the same interrupt; send another to abort terraform at once.`);
    }
  }

  private forward(signal: Interrupt): void {
    this.forwarded++;
    this.acknowledged = false;
    for (const child of this.children) child.kill(signal);
  }
}
