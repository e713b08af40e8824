// What a run refused: signals whose input was not of their shape
// (signal-input.ts). Kept (the newest REFUSALS_KEPT, and a count), shown by
// the run's `refused-input` query, and each one logged as a warning. A
// refusal changes nothing else: no command, no timer. Module state is the
// run's own (each workflow has its own copy of its modules).
import { log, setHandler } from '@temporalio/workflow';
import { refusedInputQuery } from './definitions.ts';
import { describeGiven, noRefusals, noteRefusal, type RefusedInputs } from './signal-input.ts';

let refused: RefusedInputs | undefined;

/**
 * This run's refusals, answered by its `refused-input` query from the first
 * call on: a workflow with signals calls it as it sets up its handlers.
 * `carried` are those of the run it continues (continue-as-new).
 */
export function refusals(carried?: RefusedInputs): RefusedInputs {
  if (!refused) {
    const kept = carried && Number.isSafeInteger(carried.total) && Array.isArray(carried.newest);
    const now = kept ? { total: carried.total, newest: [...carried.newest] } : noRefusals();
    refused = now;
    setHandler(refusedInputQuery, () => now);
  }
  return refused;
}

/** Refuses what a signal carried: recorded with why, and otherwise ignored. */
export function refuse(signal: string, given: unknown, why: string): void {
  noteRefusal(refusals(), { signal, at: Date.now(), why, given: describeGiven(given) });
  log.warn(`"${signal}" signal refused: ${why}`);
}
