// The deploy runbook, as an operator would read it. No I/O here: every step
// is an activity on the worker, with its own timeout and retry policy.
//
// After the rollback point, any failure (or a cancellation) restores the
// previous version by digest and health-gates it: a deploy ends succeeded,
// rolled back, or (loudest) rollback failed. Never half-down.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import type { NoticeInput } from '../activities/notify.ts';
import type { DeployNotice } from '../notify/discord.ts';
import { progressQuery } from './definitions.ts';
import { messageOf, Runbook } from './runbook.ts';
import { OUTCOME } from './search-attributes.ts';
import type { BackupRecord, DeployInput, DeployOutcome, DeployPlan, DeployResult, HostFacts, RollbackPoint, ServiceImage } from './types.ts';

const NOT_WORTH_RETRYING = [
  'InvalidInput',
  'InvalidConfig',
  'PreflightFailed',
  'SecretMissing',
  'ConfigChanged',
  'InvalidSetting',
  'HostKeyMismatch',
  'StartFailed',
  'HealthGateFailed',
  'RestoreFailed',
  'RollbackImpossible',
];

// A cancelled deploy waits for the running step to stop before it compensates:
// a restore must never race a `compose up` still running on the host.
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 6, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
});

const long = proxyActivities<Activities>({
  startToCloseTimeout: '30 minutes',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  heartbeatTimeout: '20s',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 6, nonRetryableErrorTypes: NOT_WORTH_RETRYING },
});

/** Discord must never fail or hold up a deploy: one short try. */
const notifier = proxyActivities<Activities>({ startToCloseTimeout: '15s', retry: { maximumAttempts: 1 } });

export const DEPLOY_STEPS = [
  'plan',
  'preflight',
  'rollback point',
  'database backup',
  'hold services',
  'upload stack',
  'pull images',
  'start stack',
  'health gate',
  'release services',
] as const;

export async function deploy(input: DeployInput): Promise<DeployResult> {
  const runbook = new Runbook(DEPLOY_STEPS);
  const startedAt = Date.now();
  let phase: 'deploying' | 'rolling back' | 'done' = 'deploying';
  let outcome: DeployOutcome | undefined;
  let point: RollbackPoint | undefined;
  setHandler(progressQuery, () => ({
    environment: input.environment,
    version: input.version,
    previousVersion: point?.previousVersion,
    phase,
    outcome,
    steps: runbook.snapshot(),
  }));

  let plan: DeployPlan | undefined;
  let facts: HostFacts | undefined;
  let images: ServiceImage[] = [];
  let backup: BackupRecord | null = null;
  let startedNotice: Promise<void> | undefined;
  const notice = (kind: DeployNotice['kind'], extra: Partial<NoticeInput> = {}) =>
    notifier
      .notify({
        kind,
        environment: input.environment,
        version: input.version,
        requestedBy: input.requestedBy,
        durationSeconds: kind === 'started' ? undefined : Math.round((Date.now() - startedAt) / 1000),
        previousVersion: point?.previousVersion ?? undefined,
        ...extra,
      })
      .catch(() => undefined);

  try {
    plan = await runbook.step('plan', () => quick.planDeploy(input), (p) => `${p.host.user}@${p.host.host}:${p.deployDir}`);
    startedNotice = notice('started');
    const p = plan;
    facts = await runbook.step('preflight', () => quick.preflight(p), (f) => `docker ${f.dockerVersion}, compose ${f.compose} ${f.composeVersion}, ${f.freeDiskMb} MB free`);
    const f = facts;
    point = await runbook.step('rollback point', () => quick.captureRollbackPoint(p), describePoint);
    if (p.database) {
      backup = await runbook.step('database backup', () => long.backupDatabase(p), (b) => (b ? `${b.path} sha256 ${b.sha256.slice(0, 12)}… ${b.bytes} bytes` : 'no database running yet'));
    } else runbook.skip('database backup', 'no database in this stack');
    if (p.holdDuringDeploy.length > 0) {
      await runbook.step('hold services', () => quick.holdServices(p, f), () => `stopped ${p.holdDuringDeploy.join(', ')}`);
    } else runbook.skip('hold services', 'none configured');
    await runbook.step('upload stack', () => quick.uploadStack(p));
    images = await runbook.step('pull images', () => long.pullImages(p, f, input.images), (i) => i.map((x) => x.digest ?? x.image).join(', '));
    await runbook.step('start stack', () => long.startStack(p, f, images));
    await runbook.step('health gate', () => long.healthGate(p, images), (h) => h.map((s) => s.service).join(', ') + ' healthy');
    if (p.holdDuringDeploy.length > 0) {
      await runbook.step('release services', () => quick.releaseServices(p, f), () => `started ${p.holdDuringDeploy.join(', ')}`);
    } else runbook.skip('release services', 'none held');

    outcome = 'succeeded';
    upsertSearchAttributes({ [OUTCOME.name]: [outcome] });
    await startedNotice;
    await notice('succeeded');
    return result();
  } catch (err) {
    const reason = (isCancellation(err) ? 'cancelled: ' : '') + messageOf(err);
    const failedService = unhealthyService(err);
    // Compensation runs to its end even when the deploy itself was cancelled.
    outcome = await CancellationScope.nonCancellable(async () => {
      if (!plan || !facts || !point?.existed) {
        runbook.skipPending(point && !point.existed ? 'nothing to roll back to: first deploy' : 'not started');
        return 'failed' as const;
      }
      phase = 'rolling back';
      return rollBack(runbook, plan, facts, point);
    });
    phase = 'done';
    upsertSearchAttributes({ [OUTCOME.name]: [outcome] });
    // A request refused at planning touched nothing and is the caller's to report, not Discord's.
    if (plan) await CancellationScope.nonCancellable(async () => {
      await startedNotice;
      await notice(outcome as DeployNotice['kind'], { reason, failedService: failedService?.service, logTail: failedService?.logs });
    });
    throw ApplicationFailure.create({
      type: outcome === 'rolled-back' ? 'RolledBack' : outcome === 'rollback-failed' ? 'RollbackFailed' : 'DeployFailed',
      nonRetryable: true,
      message:
        outcome === 'rolled-back'
          ? `deploy of ${input.version} to ${input.environment} failed and was rolled back to ${point?.previousVersion ?? 'the previous version'}: ${reason}`
          : outcome === 'rollback-failed'
            ? `deploy of ${input.version} to ${input.environment} failed and ROLLBACK FAILED: ${reason}`
            : `deploy of ${input.version} to ${input.environment} failed: ${reason}`,
      details: [result(reason, failedService?.service)],
    });
  } finally {
    phase = 'done';
  }

  function result(error?: string, failedService?: string): DeployResult {
    // After a failed rollback what runs is unknown: claim nothing.
    const running = outcome === 'rolled-back' && point ? point.images : outcome === 'rollback-failed' ? [] : images;
    return {
      environment: input.environment,
      version: input.version,
      outcome: outcome!,
      services: running,
      steps: runbook.snapshot(),
      previousVersion: point?.previousVersion ?? null,
      backup,
      error,
      failedService,
      durationSeconds: Math.round((Date.now() - startedAt) / 1000),
    };
  }
}

/** Restores the rollback point and health-gates it. Returns the outcome; never throws. */
async function rollBack(runbook: Runbook, plan: DeployPlan, facts: HostFacts, point: RollbackPoint): Promise<DeployOutcome> {
  runbook.skipPending('skipped: rolling back');
  runbook.add('restore previous version', 'health gate (previous version)');
  if (plan.holdDuringDeploy.length > 0) runbook.add('release services (previous version)');
  try {
    await runbook.step('restore previous version', () => long.restoreRollbackPoint(plan, facts, point), () => `${point.previousVersion ?? 'previous'} by digest`);
    await runbook.step('health gate (previous version)', () => long.healthGate(plan, point.images), (h) => h.map((s) => s.service).join(', ') + ' healthy');
    if (plan.holdDuringDeploy.length > 0) {
      await runbook.step('release services (previous version)', () => quick.releaseServices(plan, facts));
    }
    return 'rolled-back';
  } catch {
    runbook.skipPending('skipped: rollback failed');
    return 'rollback-failed';
  }
}

function describePoint(point: RollbackPoint): string {
  if (!point.existed) return 'no stack running yet: first deploy';
  return `${point.previousVersion ?? 'unknown version'}: ${point.images.map((i) => `${i.service}=${(i.digest ?? i.imageId).split('@').pop()!.slice(0, 19)}`).join(', ')}`;
}

/** The first unhealthy service and its last log lines, when starting or the health gate failed on one. */
function unhealthyService(err: unknown): { service: string; logs?: string } | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !['HealthGateFailed', 'StartFailed'].includes(cause.type ?? '')) return undefined;
  const details = cause.details?.[0] as { unhealthy?: { service: string }[]; logs?: Record<string, string> } | undefined;
  const service = details?.unhealthy?.[0]?.service;
  return service ? { service, logs: details?.logs?.[service] } : undefined;
}
