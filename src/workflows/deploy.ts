// The deploy runbook, as an operator would read it. No I/O here: every step
// is an activity on the worker, with its own timeout and retry policy.
import { ApplicationFailure, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { progressQuery } from './definitions.ts';
import { messageOf, Runbook } from './runbook.ts';
import type { DeployInput, DeployOutcome, DeployProgress, DeployResult, ServiceImage } from './types.ts';

const NOT_WORTH_RETRYING = ['InvalidInput', 'InvalidConfig', 'PreflightFailed', 'SecretMissing', 'ConfigChanged', 'InvalidSetting'];

const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
});

const long = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
});

export const DEPLOY_STEPS = ['plan', 'preflight', 'upload stack', 'pull images', 'start stack', 'health gate'] as const;

export async function deploy(input: DeployInput): Promise<DeployResult> {
  const runbook = new Runbook(DEPLOY_STEPS);
  let phase: DeployProgress['phase'] = 'deploying';
  let outcome: DeployOutcome | undefined;
  setHandler(progressQuery, () => ({ environment: input.environment, version: input.version, phase, outcome, steps: runbook.snapshot() }));

  let images: ServiceImage[] = [];
  try {
    const plan = await runbook.step('plan', () => quick.planDeploy(input), (p) => `${p.host.user}@${p.host.host}:${p.deployDir}`);
    const facts = await runbook.step('preflight', () => quick.preflight(plan), (f) => `docker ${f.dockerVersion}, compose ${f.compose} ${f.composeVersion}, ${f.freeDiskMb} MB free`);
    await runbook.step('upload stack', () => quick.uploadStack(plan));
    images = await runbook.step('pull images', () => long.pullImages(plan, facts), (i) => i.map((x) => x.digest ?? x.image).join(', '));
    await runbook.step('start stack', () => long.startStack(plan, facts));
    await runbook.step('health gate', () => long.healthGate(plan, images), (h) => h.map((s) => s.service).join(', ') + ' healthy');
    outcome = 'succeeded';
    return { environment: input.environment, version: input.version, outcome, services: images, steps: runbook.snapshot() };
  } catch (err) {
    outcome = 'failed';
    throw ApplicationFailure.create({
      type: 'DeployFailed',
      nonRetryable: true,
      message: `deploy of ${input.version} to ${input.environment} failed: ${messageOf(err)}`,
      details: [{ environment: input.environment, version: input.version, outcome, services: images, steps: runbook.snapshot(), error: messageOf(err) } satisfies DeployResult],
    });
  } finally {
    phase = 'done';
  }
}
