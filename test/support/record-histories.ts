// Saves the histories the test run produced as replay fixtures
// (test/fixtures/histories, replayed by test/unit/replay.test.ts): one per
// workflow type, end status and outcome, the newest of each. Run only when
// SMOKESTACK_RECORD_HISTORIES names a folder: after a change to workflow
// code, a full run records what the new code writes, and the replay test
// then proves that later code still replays it (docs/operations.md).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ENCODING } from '../../src/codec/aes-gcm-codec.ts';
import * as workflows from '../../src/workflows/index.ts';
import { listRuns, type RunInfo } from './history.ts';

/** What a fixture file holds: the history as `temporal workflow show --output json` prints it, and whose it was. */
export interface HistoryFixture {
  workflowId: string;
  workflowType: string;
  status: string;
  outcome?: string;
  history: unknown;
}

function fixtureName(run: RunInfo): string {
  return [run.type, run.status.toLowerCase(), run.outcome].filter(Boolean).join('--').replace(/[^\w.-]+/g, '_');
}

export async function recordHistories(client: Client, folder: string): Promise<string[]> {
  const registered = new Set(Object.keys(workflows));
  const encrypted = Buffer.from(ENCODING).toString('base64');
  mkdirSync(folder, { recursive: true });
  const written = new Set<string>();
  // Listed newest first, so the first run seen of each kind is kept.
  for await (const run of listRuns(client, `ExecutionStatus != 'Running'`)) {
    // Only the worker's own workflows: some unit tests run workflows of their own.
    if (!registered.has(run.type)) continue;
    const name = fixtureName(run);
    if (written.has(name)) continue;
    const json = historyToJSON(await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory());
    // A run of the codec's tests: replay has no key for it.
    if (json.includes(encrypted)) continue;
    const fixture: HistoryFixture = {
      workflowId: run.workflowId,
      workflowType: run.type,
      status: run.status,
      outcome: run.outcome,
      history: JSON.parse(json),
    };
    writeFileSync(join(folder, `${name}.json`), `${JSON.stringify(fixture)}\n`);
    written.add(name);
  }
  return [...written];
}
