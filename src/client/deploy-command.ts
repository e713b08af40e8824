// `smokestack deploy ENV --version V [--wait]`: start the deploy workflow,
// then (with --wait) follow it step by step until it ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { deployWorkflowId, progressQuery } from '../workflows/definitions.ts';
import { deploySummary } from '../workflows/deploy-report.ts';
import { REFUSED_BEFORE_CHANGE } from '../workflows/failures.ts';
import { ENVIRONMENT, VERSION } from '../temporal/search-attributes.ts';
import type { DeployInput, DeployResult } from '../workflows/types.ts';
import { EXIT } from './exit-codes.ts';
import { progressPrinter } from './render.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';

interface DeployOutput {
  exitCode: number;
  result?: DeployResult;
}

export async function runDeploy(
  client: Client,
  settings: TemporalSettings,
  input: DeployInput,
  options: { wait: boolean; queue?: boolean },
  write: (line: string) => void,
): Promise<DeployOutput> {
  const workflowId = deployWorkflowId(input.environment);
  let runId: string;
  for (;;) {
    try {
      const handle = await client.workflow.start('deploy', {
        taskQueue: settings.taskQueue,
        workflowId,
        args: [input],
        staticSummary: deploySummary(input),
        typedSearchAttributes: [
          { key: ENVIRONMENT, value: input.environment },
          { key: VERSION, value: input.version },
        ],
      });
      runId = handle.firstExecutionRunId;
      break;
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The workflow ID is the environment's lock: someone else holds it.
      const running = client.workflow.getHandle(workflowId);
      const desc = await running.describe();
      const version = await running.query(progressQuery).then((p) => p.version, () => 'version unknown');
      const who = `${workflowId} (run ${desc.runId}, ${version}, started ${desc.startTime.toISOString()})`;
      if (!options.queue) {
        write(`refused: a deploy to ${input.environment} is already running: ${who}`);
        write(`  ${runUrl(settings, workflowId, desc.runId)}`);
        write('  wait for it, or pass --queue to start after it');
        return { exitCode: EXIT.busy };
      }
      write(`queued: waiting for the running deploy ${who} to end`);
      await running.result().catch(() => undefined);
    }
  }
  write(`deploy ${input.version} -> ${input.environment}: ${workflowId}`);
  write(`  Web UI: ${runUrl(settings, workflowId, runId)}`);
  if (!options.wait) return { exitCode: EXIT.succeeded };
  return follow(client, workflowId, runId, write);
}

/** Follows a run to its end, printing step changes; maps its outcome to an exit code. */
export async function follow(client: Client, workflowId: string, runId: string, write: (line: string) => void): Promise<DeployOutput> {
  const handle = client.workflow.getHandle(workflowId, runId);
  const print = progressPrinter(write);
  const outcome = handle.result().then(
    (result: DeployResult) => ({ result }),
    (error: unknown) => ({ error }),
  );
  let done = false;
  void outcome.then(() => (done = true));
  while (!done) {
    await Promise.race([sleep(1000), outcome]);
    try {
      print(await handle.query(progressQuery));
    } catch {
      // the run may be between tasks; the next poll will tell
    }
  }
  const ended = await outcome;
  if ('result' in ended) {
    print(ended.result);
    write(`succeeded: ${ended.result.environment} runs ${ended.result.version}`);
    for (const s of ended.result.services) write(`  ${s.service}: ${s.digest ?? s.imageId}`);
    // A failed smoke check is a warning: the deploy stands and the exit code stays 0.
    for (const c of ended.result.smoke ?? []) if (!c.passed) write(`warning: smoke test "${c.name}" failed: ${c.detail}`);
    return { exitCode: EXIT.succeeded, result: ended.result };
  }
  return failureOutput(ended.error, write, print);
}


function exitCodeOf(result: DeployResult | undefined): number {
  if (result?.outcome === 'rolled-back') return EXIT.rolledBack;
  if (result?.outcome === 'rollback-failed') return EXIT.rollbackFailed;
  if (result?.failureType && REFUSED_BEFORE_CHANGE.has(result.failureType)) return EXIT.invalid;
  return EXIT.failed;
}

function failureOutput(error: unknown, write: (line: string) => void, print: ReturnType<typeof progressPrinter>): DeployOutput {
  const failure = error instanceof WorkflowFailedError ? error.cause : undefined;
  if (failure instanceof ApplicationFailure) {
    const result = failure.details?.[0] as DeployResult | undefined;
    if (result) print(result);
    const label = result?.outcome === 'rollback-failed' ? 'ROLLBACK FAILED' : (result?.outcome ?? 'failed');
    write(`${label}: ${failure.message}`);
    if (result?.outcome === 'rolled-back') {
      for (const s of result.services) write(`  running again: ${s.service}: ${s.digest ?? s.imageId}`);
    }
    if (result?.outcome === 'rollback-failed') write('  the environment needs a person now: see the run in the Web UI');
    return { exitCode: exitCodeOf(result), result };
  }
  write(`failed: ${(error as Error).message}`);
  return { exitCode: EXIT.failed };
}
