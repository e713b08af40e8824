// Replays the histories recorded from lab runs (test/fixtures/histories,
// test/support/record-histories.ts) against today's workflow code. A change
// that would break a run in flight when a new worker takes over fails here,
// not on a Friday night: guard it with patched() (docs/operations.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../src/workflows/index.ts';
import { FAILURE_CONVERTER_PATH } from '../../src/codec/failure-converter-path.ts';
import { workflowsPath } from '../../src/worker.ts';
import type { HistoryFixture } from '../support/record-histories.ts';
import { REPO_ROOT } from '../support/paths.ts';

const FOLDER = join(REPO_ROOT, 'test/fixtures/histories');
const fixtures: HistoryFixture[] = readdirSync(FOLDER)
  .filter((file) => file.endsWith('.json'))
  .map((file) => JSON.parse(readFileSync(join(FOLDER, file), 'utf8')) as HistoryFixture);

describe('recorded histories replay on the current workflow code', () => {
  it('covers every workflow the worker registers', () => {
    const recorded = new Set(fixtures.map((fixture) => fixture.workflowType));
    const missing = Object.keys(workflows).filter((type) => !recorded.has(type));
    expect(missing, 'record them: SMOKESTACK_RECORD_HISTORIES=test/fixtures/histories npm test').toEqual([]);
  });

  // As a worker without codec keys runs them, and as one with keys: its failure converter (src/codec/failure-converter.ts) is bundled in.
  it.each([
    ['failures in plain text', undefined],
    ['failures encoded', FAILURE_CONVERTER_PATH],
  ])('replays each without a nondeterminism error (%s)', async (_, failureConverterPath) => {
    const failures: string[] = [];
    const histories = fixtures.map(({ workflowId, history }) => ({ workflowId, history }));
    for await (const result of Worker.runReplayHistories({ workflowsPath, dataConverter: { failureConverterPath } }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(fixtures.length).toBeGreaterThan(0);
  }, 120_000);
});
