// What a database runbook needs to health-gate the app it stops and starts
// again: the stack as deployed and the images running now, read before
// anything stops. An app that is unhealthy already is refused: the gate
// afterwards could not tell a broken restore from a broken app.
import { quickActivities, summarized as call } from './activity-options.ts';
import { failure } from './failures.ts';
import type { DeployPlan, ServiceImage } from './types.ts';

const quick = quickActivities();

export interface StackGate {
  stack: DeployPlan;
  running: ServiceImage[];
  /** VERSION in the stack's .env (null when none is recorded). */
  version: string | null;
}

export async function planStackGate(environment: string, doing: string): Promise<StackGate> {
  const stack = await call(quick.planDeploy, `read ${environment}'s stack`, { environment, version: doing });
  const running = await call(quick.inspectRunning, `what runs on ${environment}`, stack);
  if (!running.healthy) {
    throw failure('CurrentVersionUnhealthy', `${environment} is not healthy now (${running.problems ?? 'unknown'}): fix it before the ${doing}, or the health gate after it cannot tell`);
  }
  return { stack, running: running.images, version: running.version };
}
