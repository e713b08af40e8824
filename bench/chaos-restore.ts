// Scenario 4, second half: a restore whose host is cut off during its
// `restore` step (mongorestore over the live database). Judged from the
// database itself with the tests' own reading (databaseState: counts,
// content hashes, indexes per collection): restored and equal to the
// backup, or failed with the safety backup put back and equal to what was
// there before the restore.
import { isDeepStrictEqual } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import type { MongoClient } from 'mongodb';
import { planBackup } from '../src/activities/database/backups.ts';
import { withDatabase } from '../src/activities/database/connect.ts';
import { databaseState } from '../src/activities/database/restore.ts';
import { hostTargetOf } from '../src/activities/plan.ts';
import { readSecret } from '../src/activities/secrets.ts';
import { loadConfig } from '../src/config/load.ts';
import { databaseWorkflowId, restoreProgressQuery } from '../src/workflows/definitions.ts';
import type { BackupResult, DatabaseState, RestoreResult } from '../src/workflows/types.ts';
import type { LabHost } from '../test/support/lab.ts';
import { LAB_PROTECTED, signedChange } from '../test/support/signing.ts';
import { describeCut } from './chaos-deploys.ts';
import { cutOff, runningNow, settle, unhealthy, waitForStep, type Ended, type Lane } from './chaos-lane.ts';
import type { ChaosRow } from './chaos-table.ts';

/** Enough documents that mongorestore takes a few seconds, so the cut lands inside it. */
const DOCUMENTS = Number(process.env.CHAOS_RESTORE_DOCUMENTS ?? 20_000);

/**
 * The database seeded and backed up, an undisturbed restore over changed
 * data (the baseline, and a check of the harness), then the same with the
 * host cut off for `cutMs` as the `restore` step starts.
 */
export async function hostCutInRestore(lane: Lane, configFile: string, address: string, cutMs: number): Promise<ChaosRow> {
  try {
    return await seededAndCut(lane, configFile, address, cutMs);
  } finally {
    // The seed goes: later deploys' backups of this host would dump it too, and be slower than their baseline.
    await asRoot(configFile, lane.host, async (client) => {
      for (const name of ['cooks', 'intruders']) await client.db('smartsmoker').collection(name).drop().catch(() => undefined);
    }).catch(() => undefined);
  }
}

async function seededAndCut(lane: Lane, configFile: string, address: string, cutMs: number): Promise<ChaosRow> {
  const host = lane.host;
  const state = async (): Promise<DatabaseState> => databaseState(configFile, await planBackup(configFile, { environment: host }));
  await seedCooks(configFile, host, DOCUMENTS);
  const backup = await settle<BackupResult & { outcome?: string }>(
    await lane.client.workflow.start('backup', { taskQueue: lane.taskQueue, workflowId: databaseWorkflowId(host), args: [{ environment: host, requestedBy: 'chaos' }] }),
  );
  if (!backup.result?.manifest) throw new Error(`${host}: the backup ended ${backup.outcome}: ${backup.error}`);
  const backupId = backup.result.manifest.id;
  const backedUp = await state();

  await changeData(configFile, host, 'first');
  const baseline = await restore(lane, backupId);
  if (baseline.outcome !== 'restored' || !isDeepStrictEqual(await state(), backedUp)) {
    throw new Error(`${host}: the undisturbed restore ended ${baseline.outcome} ${baseline.error ?? ''}, or not equal to the backup`);
  }

  await changeData(configFile, host, 'second');
  const before = await state();
  const startedAt = Date.now();
  const handle = await startRestore(lane, backupId);
  const hit = await waitForStep(handle, restoreProgressQuery, 'restore', 10);
  const cut = cutOff(host, address, cutMs);
  const landed = await runningNow(handle, restoreProgressQuery);
  await cut;
  const end = outcomeOf(await settle<RestoreResult & { outcome?: string }>(handle, startedAt));
  const after = await state();
  const problems = [
    ...(end.outcome === 'restored'
      ? isDeepStrictEqual(after, backedUp) ? [] : ['the database differs from the backup']
      : end.outcome === 'DatabaseRestoreFailed'
        ? isDeepStrictEqual(after, before) ? [] : ['the database differs from before the restore']
        : [`ended ${end.outcome}: ${end.error}`]),
    ...unhealthy(host, ['mongo', 'backend_cloud']),
  ];
  const holds = end.outcome === 'restored' ? 'holds the backup' : end.outcome === 'DatabaseRestoreFailed' ? 'safety backup put back' : '';
  return {
    scenario: 'host cut off (restore)',
    hit: describeCut(hit, landed),
    outcome: end.outcome,
    correct: problems.length === 0,
    seconds: end.seconds,
    lostSeconds: end.seconds - baseline.seconds,
    note: [`${host} ${DOCUMENTS} documents, cut ${cutMs / 1000} s`, holds, ...problems].filter(Boolean).join('; '),
  };
}

/** A restore started (with bob's signed request for this backup, fresh each time, when the host is protected: prod-cloud). */
async function startRestore(lane: Lane, backupId: string): Promise<WorkflowHandle> {
  const authorization = LAB_PROTECTED.has(lane.host) ? await signedChange({ action: 'restore', environment: lane.host, backupId }) : undefined;
  return lane.client.workflow.start('restore', {
    taskQueue: lane.taskQueue,
    workflowId: databaseWorkflowId(lane.host),
    args: [{ environment: lane.host, backupId, requestedBy: 'chaos', ...(authorization ? { authorization } : {}) }],
  });
}

async function restore(lane: Lane, backupId: string): Promise<Ended<unknown>> {
  const startedAt = Date.now();
  return outcomeOf(await settle(await startRestore(lane, backupId), startedAt));
}

/** A restore's result has no outcome of its own: one that returned restored; one that failed says its failure's type. */
const outcomeOf = <R>(end: Ended<R>): Ended<R> => (end.outcome === 'completed' ? { ...end, outcome: 'restored' } : end);

/** The cooks collection replaced by `n` generated documents, through the product's own driver tunnel (nothing secret on a command line). */
async function seedCooks(configFile: string, host: LabHost, n: number): Promise<void> {
  await asRoot(configFile, host, async (client) => {
    const cooks = client.db('smartsmoker').collection('cooks');
    await cooks.drop().catch(() => undefined);
    for (let b = 0; b < n; b += 1000) {
      const batch = Array.from({ length: Math.min(1000, n - b) }, (_, i) => ({
        name: `brisket ${b + i}`,
        temperature: 225 + ((b + i) % 400),
        probes: Array.from({ length: 40 }, (_, j) => 200 + j),
      }));
      await cooks.insertMany(batch);
    }
  });
}

/** What happens after a backup: documents deleted, a collection the backup does not have. */
async function changeData(configFile: string, host: LabHost, mark: string): Promise<void> {
  await asRoot(configFile, host, async (client) => {
    const db = client.db('smartsmoker');
    await db.collection('cooks').deleteMany({ temperature: { $gt: 600 } });
    await db.collection('intruders').insertOne({ mark });
  });
}

function asRoot<T>(configFile: string, host: LabHost, fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const env = loadConfig(configFile).environments[host]!;
  const root = { user: env.env.MONGO_ROOT_USER ?? 'admin', password: readSecret('MONGO_ROOT_PASSWORD', env.secrets.MONGO_ROOT_PASSWORD!) };
  return withDatabase(hostTargetOf(env), root, fn);
}
