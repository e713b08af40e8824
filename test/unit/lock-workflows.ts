// Workflows for test/unit/environment-lock.test.ts: the real lock workflow,
// and runs that hold an environment's lock (the real helper) around one
// activity the test lets finish when it chooses.
import { proxyActivities } from '@temporalio/workflow';
import { withEnvironmentLock } from '../../src/workflows/environment-lock.ts';

export { environmentLock } from '../../src/workflows/lock.ts';

export interface WorkActivities {
  /** Runs until the test lets `name` finish (or fail). */
  work(name: string): Promise<void>;
}

const { work } = proxyActivities<WorkActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });

/** Holds `environment`'s lock while `work(name)` runs. */
export async function lockedWork(environment: string, name: string): Promise<void> {
  await withEnvironmentLock(environment, `work ${name}`, () => work(name));
}

/** Takes the lock, then again inside the work: the inner request must not wait for the outer. */
export async function nestedWork(environment: string, name: string): Promise<void> {
  await withEnvironmentLock(environment, `outer ${name}`, () => withEnvironmentLock(environment, `inner ${name}`, () => work(name)));
}
