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
  'CurrentVersionUnhealthy',
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
    facts = await runbook.step('preflight', () => quick.preflight(p, { allowUnhealthyCurrent: input.allowUnhealthyCurrent }), describeFacts);
    const f = facts;
    // The database backup needs only the running database: it runs beside
    // the rollback point, upload and pull, off the critical path. Both
    // branches end before anything else happens (compensation included).
    const backingUp = async () => {
      if (!p.database) return runbook.skip('database backup', 'no database in this stack');
      backup = await runbook.step('database backup', () => long.backupDatabase(p), describeBackup);
    };
    const preparing = async () => {
      point = await runbook.step('rollback point', () => quick.captureRollbackPoint(p), describePoint);
      if (p.holdDuringDeploy.length > 0) {
        await runbook.step('hold services', () => quick.holdServices(p, f), () => `stopped ${p.holdDuringDeploy.join(', ')}`);
      } else runbook.skip('hold services', 'none configured');
      await runbook.step('upload stack', () => quick.uploadStack(p));
      images = await runbook.step('pull images', () => long.pullImages(p, f, input.images), (i) => i.map((x) => x.digest ?? x.image).join(', '));
    };
    await allOrFirstError([backingUp(), preparing()]);
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
            : restoredUngated()
              ? `deploy of ${input.version} to ${input.environment} failed; ${point?.previousVersion ?? 'the previous version'} was restored by digest, unhealthy as before: ${reason}`
              : `deploy of ${input.version} to ${input.environment} failed: ${reason}`,
      details: [result(reason, failedService?.service, failureTypeOf(err))],
    });
  } finally {
    phase = 'done';
  }

  function restoredUngated(): boolean {
    return outcome === 'failed' && runbook.steps.some((s) => s.name === 'restore previous version' && s.state === 'succeeded');
  }

  function result(error?: string, failedService?: string, failureType?: string): DeployResult {
    // After a failed rollback what runs is unknown: claim nothing.
    const running = (outcome === 'rolled-back' || restoredUngated()) && point ? point.images : outcome === 'rollback-failed' ? [] : images;
    return {
      environment: input.environment,
      version: input.version,
      outcome: outcome!,
      services: running,
      steps: runbook.snapshot(),
      previousVersion: point?.previousVersion ?? null,
      backup,
      error,
      failureType,
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
    if (facts.current === 'unhealthy') {
      // It failed its own health check before the deploy (allowed by the
      // caller): it is back as it was, but cannot be called healthy.
      runbook.skip('health gate (previous version)', `not required: it was unhealthy before the deploy (${facts.currentProblems})`);
      if (plan.holdDuringDeploy.length > 0) await runbook.step('release services (previous version)', () => quick.releaseServices(plan, facts));
      return 'failed';
    }
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

/** Waits for every branch to end; then fails with the first failure, if any. */
async function allOrFirstError(branches: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(branches);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function describeBackup(b: BackupRecord | null): string {
  return b ? `${b.path} sha256 ${b.sha256.slice(0, 12)}… ${b.bytes} bytes` : 'no database running yet';
}

function describeFacts(f: HostFacts): string {
  const current = f.current === 'unhealthy' ? `, running version UNHEALTHY (allowed): ${f.currentProblems}` : f.current === 'healthy' ? ', running version healthy' : '';
  return `docker ${f.dockerVersion}, compose ${f.compose} ${f.composeVersion}, ${f.freeDiskMb} MB free${current}`;
}

function describePoint(point: RollbackPoint): string {
  if (!point.existed) return 'no stack running yet: first deploy';
  return `${point.previousVersion ?? 'unknown version'}: ${point.images.map((i) => `${i.service}=${(i.digest ?? i.imageId).split('@').pop()!.slice(0, 19)}`).join(', ')}`;
}

/** The type of the innermost application failure (the activity's own error type). */
function failureTypeOf(err: unknown): string | undefined {
  let type: string | undefined;
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure && e.type) type = e.type;
  }
  return type;
}

/** The first unhealthy service and its last log lines, when starting or the health gate failed on one. */
function unhealthyService(err: unknown): { service: string; logs?: string } | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !['HealthGateFailed', 'StartFailed'].includes(cause.type ?? '')) return undefined;
  const details = cause.details?.[0] as { unhealthy?: { service: string }[]; logs?: Record<string, string> } | undefined;
  const service = details?.unhealthy?.[0]?.service;
  return service ? { service, logs: details?.logs?.[service] } : undefined;
}
