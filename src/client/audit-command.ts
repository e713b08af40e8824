// `smokestack audit RELEASE`: every signed answer and signed request of a
// release, checked again here against the approvers' keys in this
// configuration. It trusts nothing the runs recorded about themselves: each
// signature is verified anew, and each statement must name the run it was
// recorded in.
import { WorkflowFailedError, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { checkSignature } from '../signatures/check.ts';
import type { Config } from '../config/schema.ts';
import { protectedEnvironments } from '../config/protection.ts';
import { deployWorkflowId } from '../workflows/definitions.ts';
import type { ChangeAuthority, SignedText } from '../workflows/signed-statement.ts';
import type { ApprovalDecision, DeployResult, PromotionResult } from '../workflows/types.ts';
import { EXIT } from './exit-codes.ts';

type Write = (line: string) => void;

/** A run's result, from the server's record: no worker needed for a closed run. */
async function recordedResult<T>(client: Client, run: WorkflowExecutionInfo): Promise<T | undefined> {
  if (run.status.name === 'RUNNING') return undefined;
  try {
    return (await client.workflow.getHandle(run.workflowId, run.runId).result()) as T;
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
    return cause instanceof ApplicationFailure ? (cause.details?.[0] as T | undefined) : undefined;
  }
}

interface Audited {
  run: WorkflowExecutionInfo;
  what: string;
  signed: SignedText;
  /** What the statement must say to belong to this run. */
  expect: (statement: Record<string, unknown>) => string | null;
}

export async function runAudit(client: Client, config: Config, release: string, write: Write): Promise<number> {
  // Every promotion, and every deploy of a protected environment, that Temporal keeps: found by
  // workflow type and ID, which any start has, not by search attributes, which only the CLI sets.
  // Environment names are checked names (lower-case words and "-"): they cannot break out of the quotes.
  const deployIds = [...protectedEnvironments(config)].map((env) => `'${deployWorkflowId(env)}'`);
  const query = `WorkflowType = 'promote'${deployIds.length ? ` OR (WorkflowType = 'deploy' AND WorkflowId IN (${deployIds.join(', ')}))` : ''}`;
  const runs: WorkflowExecutionInfo[] = [];
  for await (const run of client.workflow.list({ query })) runs.push(run);

  const audited: Audited[] = [];
  for (const run of runs.sort((a, b) => a.startTime.getTime() - b.startTime.getTime())) {
    if (run.status.name === 'RUNNING') {
      write(`${run.type} ${run.workflowId} (run ${run.runId}): still running; audit it once it ends`);
      continue;
    }
    if (run.type === 'promote') {
      const result = await recordedResult<PromotionResult>(client, run);
      if (result?.release !== release) continue;
      const decision: ApprovalDecision | undefined = result?.decision;
      write(`promotion of ${release} (run ${run.runId}, ${result?.outcome ?? run.status.name.toLowerCase()}), requested by ${result?.requestedBy ?? 'unknown'}: ${result?.refusedCount ?? result?.refused.length ?? 0} answer(s) refused`);
      if (!decision) continue;
      if (!decision.signed) {
        write(`  UNSIGNED: ${decision.decision} by ${decision.by} (recorded before signed answers)`);
        continue;
      }
      const said = decision.decision === 'approved' ? 'approve' : 'reject';
      audited.push({
        run,
        what: `${decision.decision} by ${decision.by}`,
        signed: decision.signed,
        expect: (s) =>
          s.runId !== run.runId ? `it names run ${String(s.runId)}` : s.release !== release ? `it names release ${String(s.release)}` : s.decision !== said ? `it says ${String(s.decision)}` : null,
      });
    } else {
      const result = await recordedResult<DeployResult>(client, run);
      if (result?.version !== release) continue;
      const authority: ChangeAuthority | undefined = result?.authority;
      if (authority?.via !== 'signed request' || !authority.signed) continue;
      write(`deploy of ${release} to ${result!.environment} (run ${run.runId}, ${result!.outcome}), outside a promotion:`);
      audited.push({
        run,
        what: `requested by ${authority.signer}`,
        signed: authority.signed,
        expect: (s) => (s.environment !== result!.environment ? `it names ${String(s.environment)}` : s.version !== release ? `it names version ${String(s.version)}` : null),
      });
    }
  }
  if (audited.length === 0) write(`no signed answer or request of ${release} is recorded (Temporal keeps closed runs for its namespace's retention)`);
  let bad = 0;
  for (const { run, what, signed, expect } of audited) {
    const check = await checkSignature(config, signed);
    const statement = check.ok ? (check.statement as unknown as Record<string, unknown>) : undefined;
    const misfit = statement ? expect(statement) : null;
    if (check.ok && !misfit) {
      write(`  ${what}, signed ${String(statement!.at)} by ${check.signer} with key ${check.fingerprint}: "${String(statement!.reason)}" (signature good)`);
    } else {
      bad++;
      write(`  BAD ${what} in run ${run.runId}: ${check.ok ? `the statement does not belong to this run: ${misfit}` : check.why}`);
    }
  }
  write(`${audited.length} signature(s) checked, ${bad} bad`);
  return bad > 0 ? EXIT.failed : EXIT.succeeded;
}
