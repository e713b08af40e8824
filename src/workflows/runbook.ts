// A runbook's steps with their state and times, answerable by query while
// the workflow runs and after it ends. Workflow-safe: no I/O, and Date.now()
// here is Temporal's deterministic workflow clock.
import { messageOf } from './failures.ts';
import type { StepProgress } from './types.ts';

export class Runbook {
  readonly steps: StepProgress[];

  constructor(names: readonly string[]) {
    this.steps = names.map((name) => ({ name, state: 'pending' }));
  }

  /** Runs one named step, recording when it started and how it ended. */
  async step<T>(name: string, work: () => Promise<T>, describe?: (result: T) => string): Promise<T> {
    const step = this.find(name);
    step.state = 'running';
    step.startedAt = Date.now();
    step.detail = undefined;
    try {
      const result = await work();
      step.state = 'succeeded';
      step.detail = describe?.(result);
      return result;
    } catch (err) {
      step.state = 'failed';
      step.detail = messageOf(err);
      throw err;
    } finally {
      step.endedAt = Date.now();
    }
  }

  /** Says how a running step is getting on (what it waits for), before it ends. */
  note(name: string, detail: string): void {
    this.find(name).detail = detail;
  }

  /** Runs the step when `needed`, else marks it skipped saying why not. */
  async stepIf<T>(needed: unknown, name: string, whyNot: string, work: () => Promise<T>, describe?: (result: T) => string): Promise<T | undefined> {
    if (!needed) {
      this.skip(name, whyNot);
      return undefined;
    }
    return this.step(name, work, describe);
  }

  skip(name: string, why: string): void {
    const step = this.find(name);
    step.state = 'skipped';
    step.detail = why;
  }

  /** Marks every step not yet run as skipped, saying why. */
  skipPending(why: string): void {
    for (const step of this.steps) if (step.state === 'pending') this.skip(step.name, why);
  }

  /** Adds steps that only some runs take (compensation), after the last one. */
  add(...names: string[]): void {
    for (const name of names) this.steps.push({ name, state: 'pending' });
  }

  snapshot(): StepProgress[] {
    return this.steps.map((s) => ({ ...s }));
  }

  private find(name: string): StepProgress {
    const step = this.steps.find((s) => s.name === name);
    if (!step) throw new Error(`runbook has no step "${name}"`);
    return step;
  }
}
