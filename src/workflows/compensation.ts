// Compensation (the saga pattern): each step that changes a host registers
// its undo before it runs, and a failed run undoes them newest first. The
// undos show in the runbook as steps of their own, only when they run.
import type { Runbook } from './runbook.ts';

interface Undo {
  /** The runbook steps this undo runs, in order. */
  steps: string[];
  run: () => Promise<void>;
}

export class Compensation {
  private readonly undos: Undo[] = [];

  constructor(private readonly runbook: Runbook) {}

  /** Registers the undo of the change about to be made. */
  add(steps: string[], run: () => Promise<void>): void {
    this.undos.push({ steps, run });
  }

  /** Forgets every undo: past a commit point, what was done stays done. */
  clear(): void {
    this.undos.length = 0;
  }

  get isEmpty(): boolean {
    return this.undos.length === 0;
  }

  /** Runs every undo, newest first. Stops at the first that fails, and rethrows its failure. */
  async run(): Promise<void> {
    const newestFirst = [...this.undos].reverse();
    this.runbook.add(...newestFirst.flatMap((u) => u.steps));
    for (const undo of newestFirst) await undo.run();
  }
}
