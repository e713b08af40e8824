// The promotion runbook: the exact images tested on dev, to production,
// behind a person's yes.
//
//   1. validate dev: healthy, last deploys succeeded, same version: the
//      digests running there are the candidate (else refused, exit 2);
//   2. approval: an approver answers by update or signal; nobody answering
//      in time ends it expired, with nothing changed;
//   3. release tags: RELEASE (immutable) and latest point at the candidate's
//      digests, copied by digest in the registry, never rebuilt;
//   4. the cloud environment: the deploy runbook as a child, under its lock;
//   5. the Tailscale funnel there, set and verified;
//   6. the devices, each in a child that waits for it to come online.
// A failure in 3-5 undoes what was done, newest first (latest moves back;
// the cloud returns to its previous version by digest). Devices that fail
// are rolled back by their own deploy and reported; they undo nothing else.
import {
  CancellationScope,
  executeChild,
  isCancellation,
  ParentClosePolicy,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { OUTCOME } from '../temporal/search-attributes.ts';
import { ApprovalGate } from './approval.ts';
import { quickActivities, summarized as call } from './activity-options.ts';
import { candidateFrom } from './candidate.ts';
import { Compensation } from './compensation.ts';
import { deploy } from './deploy.ts';
import { deployWorkflowId, deviceUpdateWorkflowId, promotionProgressQuery } from './definitions.ts';
import { deviceUpdate } from './device-update.ts';
import { failure, failureTypeOf, messageOf } from './failures.ts';
import { Notices } from './notifier.ts';
import * as report from './promotion-report.ts';
import { rollOut } from './rollout.ts';
import { Runbook } from './runbook.ts';
import { digestList } from './signed-statement.ts';
import type {
  Candidate,
  DeployResult,
  DeviceReport,
  Notice,
  PromoteInput,
  PromotionOutcome,
  PromotionPlan,
  PromotionProgress,
  PromotionResult,
  ReleaseImage,
} from './types.ts';

const quick = quickActivities();
const say = report.summaries;

const PROMOTE_STEPS = ['plan', 'validate dev', 'approval', 'release tags', 'deploy cloud', 'funnel', 'devices'] as const;

interface PromotionRun {
  phase: PromotionProgress['phase'];
  outcome?: PromotionOutcome;
  plan?: PromotionPlan;
  candidate?: Candidate;
  devices: DeviceReport[];
  /** How the cloud's deploy child ended, when it failed. */
  cloudOutcome?: DeployResult['outcome'];
}

export async function promote(input: PromoteInput): Promise<PromotionResult> {
  const runbook = new Runbook(PROMOTE_STEPS);
  const undo = new Compensation(runbook);
  const gate = new ApprovalGate((signed) => call(quick.checkSignature, 'check the answer\'s signature', signed));
  const run: PromotionRun = { phase: 'validating', devices: [] };
  setHandler(promotionProgressQuery, () => progressOf(input, run, gate, runbook));
  let notices: Notices | undefined;
  const notify = (kind: Notice['kind'], extra: Partial<Notice> = {}) => notices?.send(noticeOf(input, kind, extra));

  try {
    const plan = (run.plan = await runbook.step('plan', () => call(quick.planPromotion, say.plan(input), input), (p) => `${p.from.join(' + ')} → ${p.to}, then ${p.devices.length} device(s)`));
    // The notifier must outlive the longest quiet stretch: the approval wait, then every device's wait.
    notices = new Notices(report.promotionSummary(input), `${plan.approvalTimeoutSeconds + plan.deviceWait.limitSeconds * Math.max(1, plan.devices.length) + 86400}s`);
    run.devices = plan.devices.map((device) => ({ device, state: 'pending' }));
    const candidate = (run.candidate = await runbook.step('validate dev', () => validateDev(plan), report.describeCandidate));
    const expectedDigests: ReleaseImage[] = candidate.images.map(({ repository, digest }) => ({ repository, digest }));

    run.phase = 'waiting for approval';
    const approveCommand = report.approveCommand(plan.release);
    notify('approval-needed', { approveCommand });
    const { namespace, workflowId, runId } = workflowInfo();
    const binding = { namespace, workflowId, runId, release: plan.release, digests: digestList(expectedDigests) };
    const rules = { approvers: plan.approvers, allowSelfApproval: plan.allowSelfApproval, requestedBy: input.requestedBy, binding };
    const remind = () => notify('approval-reminder', { approveCommand });
    const decision = await runbook.step('approval', () => gate.wait(rules, plan.approvalTimeoutSeconds, plan.reminderSeconds, remind), report.describeDecision);
    if (decision?.decision !== 'approved') {
      const outcome = decision ? 'rejected' : 'expired';
      runbook.skipPending(`skipped: ${outcome}`);
      notify(outcome, { decidedBy: decision?.by, reason: decision?.reason });
      return await finish(input, run, gate, runbook, notices, outcome);
    }
    notify('approved', { decidedBy: decision.by, reason: decision.reason });

    run.phase = 'releasing';
    await runbook.step('release tags', () => tagRelease(plan, expectedDigests, undo, runbook), () => `${plan.release} and latest → ${expectedDigests.length} digests`);
    await runbook.step('deploy cloud', () => deployCloud(input, plan, expectedDigests, undo, run, runbook), () => `${plan.to} runs ${plan.release} by digest`);
    await runbook.stepIf(plan.funnel.length > 0, 'funnel', 'no funnel configured', () => call(quick.configureFunnel, say.funnel(plan.to), plan.hosts[plan.to]!, plan.funnel), (lines) => lines.join(', '));
    notify('released', { devices: plan.devices.length ? `${plan.devices.length} to update: ${plan.devices.join(', ')}` : 'none' });
    // The commit point: the cloud runs the release. From here nothing is undone; a device that
    // fails is rolled back by its own deploy, and a cancelled promotion leaves the rest as they are.
    undo.clear();

    run.phase = 'updating devices';
    const devices = await runbook.stepIf(plan.devices.length > 0, 'devices', 'no devices configured', () => updateDevices(input, plan, expectedDigests, run), report.devicesLine);
    const outcome = devices && devices.some((d) => d.state !== 'updated') ? 'partly-released' : 'released';
    notify('promotion-done', { devices: devices ? report.devicesLine(devices) : 'none' });
    return await finish(input, run, gate, runbook, notices, outcome);
  } catch (err) {
    const reason = (isCancellation(err) ? 'cancelled: ' : '') + messageOf(err);
    if (run.phase === 'updating devices') {
      // Past the commit point (a cancelled device wait): the cloud keeps the release.
      notify('promotion-done', { devices: report.devicesLine(run.devices), reason });
      return await CancellationScope.nonCancellable(() => finish(input, run, gate, runbook, notices!, 'partly-released'));
    }
    run.phase = 'compensating';
    const undone = await CancellationScope.nonCancellable(() => compensate(runbook, undo));
    // Rolled back: something was changed and is undone, and the cloud is whole again.
    const outcome: PromotionOutcome = undone === 'undone' && run.cloudOutcome !== 'rollback-failed' ? 'rolled-back' : 'failed';
    run.outcome = outcome;
    run.phase = 'done';
    upsertSearchAttributes({ [OUTCOME.name]: [outcome] });
    const broken = undone === 'failed' || run.cloudOutcome === 'rollback-failed';
    const why = broken ? `${reason}; and undoing it failed: production needs a person now, see the run` : reason;
    notify(outcome === 'rolled-back' ? 'promotion-rolled-back' : 'promotion-failed', { reason: why });
    if (notices) await CancellationScope.nonCancellable(() => notices!.handedOver());
    const result = { ...resultOf(input, run, gate, runbook, outcome), error: why, failureType: broken ? 'RollbackFailed' : failureTypeOf(err) };
    throw failure(outcome === 'rolled-back' ? 'RolledBack' : 'DeployFailed', report.endMessage(input.release, outcome, why), result);
  }
}

/** Dev's running digests, checked against its records; a release tag already taken is refused before anyone is asked. */
async function validateDev(plan: PromotionPlan): Promise<Candidate> {
  const plans = await Promise.all(plan.from.map((environment) => call(quick.planDeploy, say.inspect(environment), { environment, version: 'latest' })));
  const [running, records] = await Promise.all([
    Promise.all(plans.map((p) => call(quick.inspectRunning, say.inspect(p.environment), p))),
    call(quick.lastDeploys, say.records(plan.from), plan.from),
  ]);
  const { candidate, unresolved } = candidateFrom(plan, running, records);
  if (unresolved.length > 0) {
    // A device image dev does not run (the Pi's shell): the digest dev's tag names, said so.
    const tagged = unresolved.map((repository) => ({ repository, tag: candidate.sourceVersion }));
    const resolved = await call(quick.resolveDigests, say.resolve(tagged.length, candidate.sourceVersion), plan.registry, tagged);
    candidate.images.push(...resolved.map((image) => ({ ...image, from: `registry tag ${candidate.sourceVersion}` })));
  }
  const existing = await call(quick.readTags, say.readTags(plan.release), plan.registry, plan.repositories, plan.release);
  const taken = candidate.images.filter((image) => existing[image.repository] && existing[image.repository] !== image.digest);
  if (taken.length > 0) {
    const what = taken.map((i) => `${i.repository}:${plan.release} is ${existing[i.repository]}, the candidate is ${i.digest}`).join('; ');
    throw failure('ReleaseTagTaken', `release ${plan.release} exists on other images and release tags never move: ${what}`);
  }
  return candidate;
}

/** RELEASE, then latest. latest's undo is registered before it moves. */
async function tagRelease(plan: PromotionPlan, images: ReleaseImage[], undo: Compensation, runbook: Runbook): Promise<void> {
  const before = await call(quick.readTags, say.readTags('latest'), plan.registry, plan.repositories, 'latest');
  undo.add(['move latest back'], async () => {
    await runbook.step('move latest back', () => call(quick.restoreTags, say.restoreTags('latest'), plan.registry, before, 'latest'), (lines) => lines.join('; '));
  });
  await call(quick.pointTags, say.pointTags(plan.release), plan.registry, images, plan.release, { immutable: true });
  await call(quick.pointTags, say.pointTags('latest'), plan.registry, images, 'latest', { immutable: false });
}

/** The deploy runbook on the cloud environment, as a child under that environment's lock. */
async function deployCloud(input: PromoteInput, plan: PromotionPlan, expectedDigests: ReleaseImage[], undo: Compensation, run: PromotionRun, runbook: Runbook): Promise<void> {
  const cloudPlan = await call(quick.planDeploy, say.inspect(plan.to), { environment: plan.to, version: plan.release });
  const previous = await call(quick.inspectRunning, say.inspect(plan.to), cloudPlan);
  const requestedBy = `promotion of ${plan.release}${input.requestedBy ? ` (${input.requestedBy})` : ''}`;
  try {
    await executeChild(deploy, {
      workflowId: deployWorkflowId(plan.to),
      args: [{ environment: plan.to, version: plan.release, requestedBy, expectedDigests }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `deploy ${plan.release} → ${plan.to} (promotion)`,
    });
  } catch (err) {
    const result = (err as { cause?: { details?: unknown[] } }).cause?.details?.[0] as DeployResult | undefined;
    run.cloudOutcome = result?.outcome;
    throw err;
  }
  // A later step failing takes the cloud back to what ran before, by digest.
  if (previous.images.length > 0 && previous.version) {
    const step = `return ${plan.to} to ${previous.version}`;
    undo.add([step], async () => {
      await runbook.step(step, () =>
        executeChild(deploy, {
          workflowId: deployWorkflowId(plan.to),
          args: [{ environment: plan.to, version: previous.version!, images: previous.images, requestedBy: `undoing the promotion of ${plan.release}` }],
          staticSummary: `return ${plan.to} to ${previous.version} (promotion undone)`,
        }),
      );
    });
  }
}

async function updateDevices(input: PromoteInput, plan: PromotionPlan, expectedDigests: ReleaseImage[], run: PromotionRun): Promise<DeviceReport[]> {
  const update = async (device: string): Promise<DeviceReport> => {
    const entry = run.devices.find((d) => d.device === device)!;
    Object.assign(entry, { state: 'waiting', waitingSince: Date.now() });
    const ended = await executeChild(deviceUpdate, {
      workflowId: deviceUpdateWorkflowId(device),
      args: [{ device, host: plan.hosts[device]!, release: plan.release, requestedBy: `promotion of ${plan.release}`, expectedDigests, wait: plan.deviceWait }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `update ${device} to ${plan.release} when it is online`,
    });
    Object.assign(entry, ended);
    return ended;
  };
  const reports = await rollOut(plan.devices, plan.rollout, update);
  for (const r of reports) Object.assign(run.devices.find((d) => d.device === r.device)!, r);
  return reports;
}

type Undone = 'nothing' | 'undone' | 'failed';

async function compensate(runbook: Runbook, undo: Compensation): Promise<Undone> {
  runbook.skipPending(undo.isEmpty ? 'skipped: the promotion failed' : 'skipped: undoing the promotion');
  if (undo.isEmpty) return 'nothing';
  try {
    await undo.run();
    return 'undone';
  } catch {
    return 'failed';
  }
}

async function finish(input: PromoteInput, run: PromotionRun, gate: ApprovalGate, runbook: Runbook, notices: Notices, outcome: PromotionOutcome): Promise<PromotionResult> {
  run.outcome = outcome;
  run.phase = 'done';
  upsertSearchAttributes({ [OUTCOME.name]: [outcome] });
  await notices.handedOver();
  return resultOf(input, run, gate, runbook, outcome);
}

function progressOf(input: PromoteInput, run: PromotionRun, gate: ApprovalGate, runbook: Runbook): PromotionProgress {
  return {
    release: input.release,
    requestedBy: input.requestedBy,
    phase: run.phase,
    outcome: run.outcome,
    candidate: run.candidate,
    approvers: run.plan?.approvers ?? [],
    waitingSince: gate.isOpen ? gate.waitingSince : undefined,
    decision: gate.decision,
    refused: [...gate.refused],
    refusedCount: gate.refusedCount,
    steps: runbook.snapshot(),
    devices: run.devices.map((d) => ({ ...d })),
  };
}

function resultOf(input: PromoteInput, run: PromotionRun, gate: ApprovalGate, runbook: Runbook, outcome: PromotionOutcome): PromotionResult {
  const { phase: _phase, ...progress } = progressOf(input, run, gate, runbook);
  return { ...progress, outcome };
}

function noticeOf(input: PromoteInput, kind: Notice['kind'], extra: Partial<Notice>): Notice {
  const { workflowId, runId, startTime } = workflowInfo();
  return {
    kind,
    environment: 'production',
    version: input.release,
    run: { workflowId, runId },
    requestedBy: input.requestedBy,
    durationSeconds: Math.round((Date.now() - startTime.getTime()) / 1000),
    ...extra,
  };
}
