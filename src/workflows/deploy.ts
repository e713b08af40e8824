// The deploy runbook, as an operator would read it. No I/O here: every step
// is an activity on the worker, with its own timeout and retry policy.
//
// Each step that changes the host first registers its undo. After any
// failure (or a cancellation) the undos run newest first: the previous
// version is restored by digest and health-gated, then held services are
// started again. A deploy ends succeeded, rolled back, or (loudest)
// rollback failed. Never half-down.
//
// Everything that changes the host, and its undo, runs under the
// environment's lock (environment-lock.ts), which backups and restores of
// the environment take too: none of them runs while a deploy changes it.
import { CancellationScope, isCancellation, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { OUTCOME } from '../temporal/search-attributes.ts';
import { housekeepingActivities, longActivities, quickActivities, smokeActivities, summarized as call } from './activity-options.ts';
import { Compensation } from './compensation.ts';
import { withEnvironmentLock } from './environment-lock.ts';
import { progressQuery } from './definitions.ts';
import * as report from './deploy-report.ts';
import { failure, failureTypeOf, messageOf, unhealthyServiceOf } from './failures.ts';
import { LOCK_STEP } from './lock-report.ts';
import { Notices } from './notifier.ts';
import { Runbook } from './runbook.ts';
import type {
  BackupRecord,
  DeployInput,
  DeployOutcome,
  DeployPlan,
  DeployProgress,
  DeployResult,
  HostFacts,
  Notice,
  RollbackPoint,
  ServiceImage,
  SmokeTestResult,
} from './types.ts';

const quick = quickActivities();
const housekeeping = housekeepingActivities();
const smoke = smokeActivities();
const say = report.summaries;

const DEPLOY_STEPS = [
  'plan',
  'preflight',
  LOCK_STEP,
  'rollback point',
  'database backup',
  'hold services',
  'upload stack',
  'pull images',
  'start stack',
  'health gate',
  'release services',
  'smoke test',
  'prune',
] as const;

/** What the run knows so far: read by the progress query, the result and the notices. */
interface RunState {
  startedAt: number;
  phase: 'deploying' | 'rolling back' | 'done';
  outcome?: DeployOutcome;
  plan?: DeployPlan;
  facts?: HostFacts;
  point?: RollbackPoint;
  images: ServiceImage[];
  backup: BackupRecord | null;
  /** The previous version is back, but was unhealthy before the deploy, so it was not gated. */
  restoredUngated: boolean;
  /** The smoke test's checks, once it ran (none configured: absent). */
  smoke?: SmokeTestResult[];
}

export async function deploy(input: DeployInput): Promise<DeployResult> {
  const runbook = new Runbook(DEPLOY_STEPS);
  const undo = new Compensation(runbook);
  const notices = new Notices(report.deploySummary(input));
  const run: RunState = { startedAt: Date.now(), phase: 'deploying', images: [], backup: null, restoredUngated: false };
  setHandler(progressQuery, () => progressOf(input, run, runbook));
  const notify = (kind: Notice['kind'], extra: Partial<Notice> = {}) => {
    if (input.notices === 'failures' && (kind === 'started' || kind === 'succeeded')) return;
    notices.send(noticeOf(input, run, kind, extra));
  };

  try {
    const plan = (run.plan = await runbook.step('plan', () => call(quick.planDeploy, say.plan(input), input, { authorize: true }), report.describePlan));
    notify('started');
    const options = { allowUnhealthyCurrent: input.allowUnhealthyCurrent };
    const checkHost = (describe: (f: HostFacts) => string) =>
      runbook.step('preflight', () => call(quick.preflight, say.preflight(plan), plan, options), describe);
    // Preflight only reads the host, so it runs before the lock: a deploy it
    // refuses is refused at once, not after a backup of the environment ends.
    run.facts = await checkHost(report.describeFacts);
    await withEnvironmentLock(
      input.environment,
      report.lockPurpose(input),
      async (lock) => {
        // Another run held the lock meanwhile (a restore restarts the app): what preflight saw is checked again.
        if (lock.holder) run.facts = await checkHost((f) => `${report.describeFacts(f)} (again, after the lock)`);
        const ctx: Ctx = { input, runbook, undo, run, plan, facts: run.facts!, long: longActivities(plan) };
        await changeOrUndo(ctx);
        // Succeeded: the deploy is committed. The smoke test and the prune only report;
        // neither changes that nor undoes anything, so the notice says it beside the prune.
        run.outcome = 'succeeded';
        upsertSearchAttributes({ [OUTCOME.name]: [run.outcome] });
        run.smoke = await smokeTest(ctx);
        notify('succeeded', run.smoke ? { smoke: run.smoke } : {});
        await prune(ctx);
      },
      { runbook },
    );
    await notices.handedOver();
    return resultOf(input, run, runbook);
  } catch (err) {
    const reason = (isCancellation(err) ? 'cancelled: ' : '') + messageOf(err);
    const unhealthy = unhealthyServiceOf(err);
    // A run that changed the host was undone under the lock (changeOrUndo); one stopped before has nothing to undo.
    const outcome = (run.outcome ??= await CancellationScope.nonCancellable(() => compensate(runbook, undo, run)));
    run.phase = 'done';
    upsertSearchAttributes({ [OUTCOME.name]: [outcome] });
    // A request refused at planning touched nothing and is the caller's to report, not Discord's;
    // a run stopped after it succeeded (cancelled while handing its notices over) has said so already.
    if (run.plan && outcome !== 'succeeded') notify(outcome, { reason, failedService: unhealthy?.service, logTail: unhealthy?.logs });
    await CancellationScope.nonCancellable(() => notices.handedOver());
    const result = resultOf(input, run, runbook, { error: reason, failedService: unhealthy?.service, failureType: failureTypeOf(err) });
    throw failure(report.endFailureType(outcome), report.endMessage(input, outcome, run.point, run.restoredUngated, reason), result);
  } finally {
    run.phase = 'done';
  }
}

/** A run's parts the steps after preflight share. */
interface Ctx {
  input: DeployInput;
  runbook: Runbook;
  undo: Compensation;
  run: RunState;
  plan: DeployPlan;
  facts: HostFacts;
  long: ReturnType<typeof longActivities>;
}

const holds = (plan: DeployPlan): boolean => plan.holdDuringDeploy.length > 0;

/** The new version up and gated; on any failure, or a cancellation, the undos, before the lock is given back. */
async function changeOrUndo(ctx: Ctx): Promise<void> {
  try {
    // The backup needs only the running database, so it runs beside the
    // preparation; both end before anything else (compensation included).
    await allOrFirstError([backUp(ctx), prepare(ctx)]);
    await startAndGate(ctx);
  } catch (err) {
    // Compensation runs to its end even when the deploy itself was cancelled.
    ctx.run.outcome = await CancellationScope.nonCancellable(() => compensate(ctx.runbook, ctx.undo, ctx.run));
    throw err;
  }
}

async function backUp({ input, runbook, run, plan, long }: Ctx): Promise<void> {
  const why = input.backedUpBy ? `backed up and verified just before by ${input.backedUpBy}` : 'no database in this stack';
  const backup = await runbook.stepIf(plan.database && !input.backedUpBy, 'database backup', why, () => call(long.backupDatabase, say.backup(plan), plan), report.describeBackup);
  run.backup = backup ?? null;
}

/** Rollback point, hold, upload, pull: each change to the host registers its undo first. */
async function prepare(ctx: Ctx): Promise<void> {
  const { input, runbook, undo, run, plan, facts, long } = ctx;
  const point = (run.point = await runbook.step('rollback point', () => call(quick.captureRollbackPoint, say.rollbackPoint(plan), plan), report.describePoint));
  if (point.existed && holds(plan)) undo.add(['release services (previous version)'], () => release(ctx, 'release services (previous version)'));
  await runbook.stepIf(holds(plan), 'hold services', 'none configured', () => call(quick.holdServices, say.hold(plan), plan, facts), () => `stopped ${plan.holdDuringDeploy.join(', ')}`);
  if (point.existed) undo.add(['restore previous version', 'health gate (previous version)'], () => restore(ctx, point));
  await runbook.step('upload stack', () => call(quick.uploadStack, say.upload(plan), plan));
  run.images = await runbook.step('pull images', () => call(long.pullImages, say.pull(plan, input.images), plan, facts, input.images, input.expectedDigests), report.describeImages);
}

async function startAndGate(ctx: Ctx): Promise<void> {
  const { runbook, run, plan, facts, long } = ctx;
  await runbook.step('start stack', () => call(long.startStack, say.start(run.images), plan, facts, run.images));
  await runbook.step('health gate', () => call(long.healthGate, say.gate(run.images), plan, run.images), report.describeHealth);
  if (holds(plan)) await release(ctx, 'release services');
  else runbook.skip('release services', 'none held');
}

/** Runs the registered undos, newest first. Returns how the deploy ended; never throws. */
async function compensate(runbook: Runbook, undo: Compensation, run: RunState): Promise<DeployOutcome> {
  if (undo.isEmpty) {
    runbook.skipPending(run.point && !run.point.existed ? 'nothing to roll back to: first deploy' : 'not started');
    return 'failed';
  }
  run.phase = 'rolling back';
  runbook.skipPending('skipped: rolling back');
  try {
    await undo.run();
    return run.restoredUngated ? 'failed' : 'rolled-back';
  } catch {
    runbook.skipPending('skipped: rollback failed');
    return 'rollback-failed';
  }
}

/** The previous version's files and exact images, then its health gate (unless it was unhealthy before, as allowed). */
async function restore({ runbook, plan, facts, run, long }: Ctx, point: RollbackPoint): Promise<void> {
  await runbook.step('restore previous version', () => call(long.restoreRollbackPoint, say.restore(point), plan, facts, point), () => `${point.previousVersion ?? 'previous'} by digest`);
  if (facts.current === 'unhealthy') {
    runbook.skip('health gate (previous version)', `not required: it was unhealthy before the deploy (${facts.currentProblems})`);
    run.restoredUngated = true;
    return;
  }
  await runbook.step('health gate (previous version)', () => call(long.healthGate, say.gate(point.images), plan, point.images), report.describeHealth);
}

async function release({ runbook, plan, facts }: Ctx, step: string): Promise<void> {
  await runbook.step(step, () => call(quick.releaseServices, say.release(plan), plan, facts), () => `started ${plan.holdDuringDeploy.join(', ')}`);
}

/**
 * The app as its users reach it, after the health gate: the environment's
 * smoke checks (frontend page, API through the frontend, …). A check that
 * fails, or a smoke test that could not run at all, is reported as a warning
 * (the step shows failed); the deploy stays succeeded, nothing is undone.
 */
async function smokeTest({ runbook, plan }: Ctx): Promise<SmokeTestResult[] | undefined> {
  const checks = plan.smoke ?? [];
  if (checks.length === 0) {
    runbook.skip('smoke test', 'none configured');
    return undefined;
  }
  let results: SmokeTestResult[] | undefined;
  try {
    await runbook.step('smoke test', async () => {
      results = await call(smoke.smokeTest, say.smoke(plan), plan);
      if (results.some((r) => !r.passed)) throw new Error(report.describeSmoke(results));
      return results;
    }, report.describeSmoke);
  } catch (err) {
    results ??= checks.map((c) => ({ name: c.name, passed: false, detail: `not run: ${messageOf(err)}` }));
  }
  return results;
}

/** Old rollback points and pre-deploy backups go; a failure to prune is shown but does not fail a deploy that succeeded. */
async function prune({ runbook, plan, run }: Ctx): Promise<void> {
  const keep = { rollbackPoint: run.point!.savedDir, backup: run.backup?.path };
  await runbook.step('prune', () => call(housekeeping.pruneHost, say.prune(plan.retention.keep), plan, keep), report.describePrune).catch(() => undefined);
}

function progressOf(input: DeployInput, run: RunState, runbook: Runbook): DeployProgress {
  return {
    environment: input.environment,
    version: input.version,
    previousVersion: run.point?.previousVersion,
    phase: run.phase,
    outcome: run.outcome,
    steps: runbook.snapshot(),
  };
}

function noticeOf(input: DeployInput, run: RunState, kind: Notice['kind'], extra: Partial<Notice>): Notice {
  const { workflowId, runId } = workflowInfo();
  return {
    kind,
    environment: input.environment,
    version: input.version,
    run: { workflowId, runId },
    requestedBy: input.requestedBy,
    durationSeconds: kind === 'started' ? undefined : Math.round((Date.now() - run.startedAt) / 1000),
    previousVersion: run.point?.previousVersion ?? undefined,
    ...extra,
  };
}

function resultOf(input: DeployInput, run: RunState, runbook: Runbook, failed: Pick<DeployResult, 'error' | 'failedService' | 'failureType'> = {}): DeployResult {
  // After a failed rollback what runs is unknown: claim nothing.
  const backToPrevious = (run.outcome === 'rolled-back' || run.restoredUngated) && run.point;
  const services = backToPrevious ? run.point!.images : run.outcome === 'rollback-failed' ? [] : run.images;
  return {
    environment: input.environment,
    version: input.version,
    outcome: run.outcome!,
    services,
    steps: runbook.snapshot(),
    previousVersion: run.point?.previousVersion ?? null,
    backup: run.backup,
    ...(run.smoke ? { smoke: run.smoke } : {}),
    ...(run.plan?.authority ? { authority: run.plan.authority } : {}),
    ...failed,
    durationSeconds: Math.round((Date.now() - run.startedAt) / 1000),
  };
}

/** Waits for every branch to end; then fails with the first failure, if any. */
async function allOrFirstError(branches: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(branches);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
