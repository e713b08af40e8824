// Saves the histories the test run produced as replay fixtures
// (test/fixtures/histories, replayed by test/unit/replay.test.ts): one per
// workflow type, end status and outcome, the newest of each. Run only when
// SMOKESTACK_RECORD_HISTORIES names a folder: after a change to workflow
// code, a full run records what the new code writes, and the replay test
// then proves that later code still replays it (docs/operations.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { OUTCOME } from '../../src/temporal/search-attributes.ts';
import * as workflows from '../../src/workflows/index.ts';

/** What a fixture file holds: the history as `temporal workflow show --output json` prints it, and whose it was. */
export interface HistoryFixture {
  workflowId: string;
  workflowType: string;
  status: string;
  outcome?: string;
  history: unknown;
}

function fixtureName(run: WorkflowExecutionInfo): string {
  const outcome = run.typedSearchAttributes.get(OUTCOME);
  return [run.type, run.status.name.toLowerCase(), outcome].filter(Boolean).join('--').replace(/[^\w.-]+/g, '_');
}

export async function recordHistories(client: Client, folder: string): Promise<string[]> {
  const newest = new Map<string, WorkflowExecutionInfo>();
  // Listed newest first, so the first run seen of each kind is kept.
  const registered = new Set(Object.keys(workflows));
  for await (const run of client.workflow.list({ query: `ExecutionStatus != 'Running'` })) {
    // Only the worker's own workflows: some unit tests run workflows of their own.
    if (!registered.has(run.type)) continue;
    const name = fixtureName(run);
    if (!newest.has(name)) newest.set(name, run);
  }
  mkdirSync(folder, { recursive: true });
  const written: string[] = [];
  for (const [name, run] of newest) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const fixture: HistoryFixture = {
      workflowId: run.workflowId,
      workflowType: run.type,
      status: run.status.name,
      outcome: run.typedSearchAttributes.get(OUTCOME),
      history: JSON.parse(historyToJSON(history)),
    };
    writeFileSync(join(folder, `${name}.json`), `${JSON.stringify(fixture)}\n`);
    written.push(name);
  }
  return written;
}
