// `smokestack promote RELEASE`, `approve`/`reject RELEASE`, `status production`
// and `device-online DEVICE`: the client's side of the promotion runbook.
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  approveUpdate,
  deviceOnlineSignal,
  deviceProgressQuery,
  deviceUpdateWorkflowId,
  PROMOTION_WORKFLOW_ID,
  promotionProgressQuery,
  rejectUpdate,
} from '../workflows/definitions.ts';
import { approveCommand, deviceLine, promotionSummary, rejectCommand } from '../workflows/promotion-report.ts';
import { REFUSED_BEFORE_CHANGE } from '../workflows/failures.ts';
import { ENVIRONMENT, VERSION } from '../temporal/search-attributes.ts';
import type { PromoteInput, PromotionOutcome, PromotionResult } from '../workflows/types.ts';
import { EXIT } from './exit-codes.ts';
import { progressPrinter, stepLine } from './render.ts';
import { describeRecorded } from './status-command.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';
import { digestList, SIGNATURE_NAMESPACE, type AnswerStatement } from '../workflows/signed-statement.ts';
import { signStatement } from './signing.ts';

type Write = (line: string) => void;

const EXIT_OF: Record<PromotionOutcome, number> = {
  released: EXIT.succeeded,
  'partly-released': EXIT.partlyReleased,
  rejected: EXIT.rejected,
  expired: EXIT.expired,
  'rolled-back': EXIT.rolledBack,
  failed: EXIT.failed,
};

export async function runPromote(client: Client, settings: TemporalSettings, input: PromoteInput, options: { wait: boolean }, write: Write): Promise<number> {
  let runId: string;
  try {
    const handle = await client.workflow.start('promote', {
      taskQueue: settings.taskQueue,
      workflowId: PROMOTION_WORKFLOW_ID,
      args: [input],
      staticSummary: promotionSummary(input),
      typedSearchAttributes: [
        { key: ENVIRONMENT, value: 'production' },
        { key: VERSION, value: input.release },
      ],
    });
    runId = handle.firstExecutionRunId;
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = client.workflow.getHandle(PROMOTION_WORKFLOW_ID);
    const desc = await running.describe();
    const progress = await running.query(promotionProgressQuery).catch(() => undefined);
    write(`refused: a promotion is already running: ${progress?.release ?? 'release unknown'} (${progress?.phase ?? 'state unknown'}), requested by ${progress?.requestedBy ?? 'unknown'}, started ${desc.startTime.toISOString()}`);
    write(`  ${runUrl(settings, PROMOTION_WORKFLOW_ID, desc.runId)}`);
    write('  only one promotion runs at a time: wait for it to end, or cancel it in the Web UI');
    return EXIT.busy;
  }
  write(`promotion of ${input.release} started: ${PROMOTION_WORKFLOW_ID}`);
  write(`  Web UI: ${runUrl(settings, PROMOTION_WORKFLOW_ID, runId)}`);
  write(`  approve: ${approveCommand(input.release)}`);
  write(`  reject:  ${rejectCommand(input.release)}`);
  if (!options.wait) return EXIT.succeeded;
  return followPromotion(client, runId, write);
}

async function followPromotion(client: Client, runId: string, write: Write): Promise<number> {
  const handle = client.workflow.getHandle(PROMOTION_WORKFLOW_ID, runId);
  const print = progressPrinter(write);
  let done = false;
  const ended = handle.result().then(
    (result: PromotionResult) => ({ result }),
    (error: unknown) => ({ error }),
  );
  void ended.then(() => (done = true));
  while (!done) {
    await Promise.race([sleep(1000), ended]);
    await handle.query(promotionProgressQuery).then(print, () => undefined);
  }
  const end = await ended;
  const result = 'result' in end ? end.result : failedResult(end.error);
  if (result) print(result);
  if ('error' in end) write(`${result?.outcome ?? 'failed'}: ${(end.error as WorkflowFailedError).cause?.message ?? (end.error as Error).message}`);
  else write(`${result!.outcome}: ${result!.release}`);
  for (const d of result?.devices ?? []) write(`  ${deviceLine(d)}`);
  if (!result) return EXIT.failed;
  if (result.outcome === 'failed' && result.failureType === 'RollbackFailed') return EXIT.rollbackFailed;
  if (result.outcome === 'failed' && result.failureType && REFUSED_BEFORE_CHANGE.has(result.failureType)) return EXIT.invalid;
  return EXIT_OF[result.outcome];
}

function failedResult(error: unknown): PromotionResult | undefined {
  const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
  return cause instanceof ApplicationFailure ? (cause.details?.[0] as PromotionResult | undefined) : undefined;
}

/** How an approver answers: who signs, why, with which key, and whether to print the signal instead of sending it. */
export interface AnswerOptions {
  by: string;
  reason: string;
  keyFile: string;
  printSignal: boolean;
}

/**
 * Answers the pending promotion of `release` with a signed statement bound to
 * that run and its candidate's digests. A refused answer exits 2 with why.
 */
export async function answerPromotion(client: Client, settings: TemporalSettings, answer: 'approve' | 'reject', release: string, options: AnswerOptions, write: Write): Promise<number> {
  const handle = client.workflow.getHandle(PROMOTION_WORKFLOW_ID);
  const desc = await describeRecorded(handle);
  if (desc?.status.name !== 'RUNNING') {
    write(`no promotion is running: nothing to ${answer}`);
    return EXIT.failed;
  }
  const progress = await handle.query(promotionProgressQuery);
  if (progress.release !== release) {
    write(`refused: the running promotion is of ${progress.release}, not ${release}`);
    return EXIT.invalid;
  }
  if (!progress.candidate || progress.phase !== 'waiting for approval') {
    write(`refused: the promotion of ${release} is not waiting for approval (${progress.phase})`);
    return EXIT.invalid;
  }
  const statement: AnswerStatement = {
    purpose: SIGNATURE_NAMESPACE,
    v: 1,
    kind: 'promotion-answer',
    namespace: settings.namespace,
    workflowId: PROMOTION_WORKFLOW_ID,
    runId: desc.runId,
    release,
    digests: digestList(progress.candidate.images),
    decision: answer,
    signer: options.by,
    reason: options.reason,
    at: new Date().toISOString(),
  };
  write(`signing as ${options.by} with ${options.keyFile}: ${answer} ${release} (run ${desc.runId}), requested by ${progress.requestedBy ?? 'unknown'}:`);
  for (const image of statement.digests) write(`  ${image}`);
  const signed = await signStatement(statement, options.keyFile);
  if (options.printSignal) {
    write(`paste into the Web UI's "Send a Signal" (signal name: ${answer}), within 15 minutes:`);
    write(JSON.stringify(signed));
    return EXIT.succeeded;
  }
  try {
    const outcome = await handle.executeUpdate(answer === 'approve' ? approveUpdate : rejectUpdate, { args: [signed] });
    if (!outcome.accepted) {
      write(`refused: ${outcome.why}`);
      return EXIT.invalid;
    }
    write(`${release} ${outcome.decision.decision} by ${outcome.decision.by} (${outcome.decision.fingerprint ?? 'unsigned'}): ${outcome.decision.reason}`);
    return EXIT.succeeded;
  } catch (err) {
    if (!(err instanceof WorkflowUpdateFailedError)) throw err;
    write(`refused: ${err.cause?.message ?? err.message}`);
    return EXIT.invalid;
  }
}

/** `status production`: the promotion step by step, who it waits for, and each device. */
export async function showPromotionStatus(client: Client, settings: TemporalSettings, write: Write): Promise<number> {
  const handle = client.workflow.getHandle(PROMOTION_WORKFLOW_ID);
  const desc = await describeRecorded(handle);
  if (!desc) {
    write('production: no promotion recorded yet');
    return EXIT.succeeded;
  }
  const p = await handle.query(promotionProgressQuery);
  const running = desc.status.name === 'RUNNING';
  write(
    running
      ? `production: promoting ${p.release} (${p.phase}) since ${desc.startTime.toISOString()}, requested by ${p.requestedBy ?? 'unknown'}`
      : `production: last promotion ${p.release} ${p.outcome ?? desc.status.name.toLowerCase()} at ${desc.closeTime?.toISOString() ?? '?'}`,
  );
  if (p.candidate) write(`  candidate: ${p.candidate.sourceVersion} on dev, ${p.candidate.images.map((i) => `${i.repository}@${i.digest}`).join(', ')}`);
  if (p.waitingSince) {
    write(`  waiting for approval since ${new Date(p.waitingSince).toISOString()} (requested by ${p.requestedBy ?? 'unknown'}); approvers: ${p.approvers.join(', ')}`);
    write(`  approve: ${approveCommand(p.release)}`);
  }
  if (p.decision) write(`  ${p.decision.decision} by ${p.decision.by} at ${new Date(p.decision.at).toISOString()} (${p.decision.via}): ${p.decision.reason}`);
  if (p.decision?.fingerprint) write(`  signed at ${p.decision.signedAt} with ${p.decision.fingerprint}`);
  for (const r of p.refused) write(`  refused ${r.answer} from ${r.by || 'an unreadable answer'} at ${new Date(r.at).toISOString()}: ${r.why}`);
  if ((p.refusedCount ?? 0) > p.refused.length) write(`  (${p.refusedCount! - p.refused.length} older refused answers not kept)`);
  for (const step of p.steps) write(stepLine(step));
  for (const device of p.devices) {
    // A device being waited for knows more than its parent: ask it.
    const live = ['waiting', 'updating'].includes(device.state)
      ? await client.workflow.getHandle(deviceUpdateWorkflowId(device.device)).query(deviceProgressQuery).catch(() => device)
      : device;
    write(`  device ${deviceLine(live)}`);
  }
  write(`  ${runUrl(settings, desc.workflowId, desc.runId)}`);
  return EXIT.succeeded;
}

/** A device's boot hook: the waiting promotion updates it now rather than at its next probe. */
export async function deviceOnline(client: Client, device: string, write: Write): Promise<number> {
  try {
    await client.workflow.getHandle(deviceUpdateWorkflowId(device)).signal(deviceOnlineSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    write(`no promotion is waiting for ${device}`);
    return EXIT.succeeded;
  }
  write(`told the promotion that ${device} is online`);
  return EXIT.succeeded;
}
