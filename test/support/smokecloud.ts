// The lab's old cloud Pi (smokecloud) as the database migration finds it: a
// clean host, the cloud stack v1 deployed by smokestack's own deploy
// workflow, and production-like data in its smartsmoker database
// (smokecloud-data.ts), written through the driver over SSH as the root user.
import type { Document, MongoClient } from 'mongodb';
import { withDatabase } from '../../src/activities/database/connect.ts';
import { hostTargetOf } from '../../src/activities/plan.ts';
import { readSecret } from '../../src/activities/secrets.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { DeployResult } from '../../src/workflows/types.ts';
import { resetHost } from './lab.ts';
import { smokecloudData, SMOKECLOUD_INDEXES } from './smokecloud-data.ts';
import { LAB_CONFIG, startWorker, type TestWorker } from './worker.ts';

export const SMOKECLOUD = 'smokecloud';
export const SMOKECLOUD_DATABASE = 'smartsmoker';
const BATCH = 1000;
/** insertMany calls in flight at once: SQLite has one writer, but the next batch is encoded and sent meanwhile. */
const PARALLEL = 4;

export interface SmokecloudSeed {
  /** Documents per collection. */
  counts: Record<string, number>;
  /** Index names besides _id_, per collection. */
  indexes: Record<string, string[]>;
  /** The document inserted last in each collection (its greatest _id). */
  last: Record<string, Document>;
  /** How long the inserts and index builds took. */
  seconds: number;
}

/** The root user of smokecloud's database, and the way to it, from the lab configuration. */
function smokecloudDatabase<T>(fn: (client: MongoClient) => Promise<T>): Promise<T> {
  const env = loadConfig(LAB_CONFIG).environments[SMOKECLOUD]!;
  const root = { user: env.env.MONGO_ROOT_USER ?? 'admin', password: readSecret('MONGO_ROOT_PASSWORD', env.secrets.MONGO_ROOT_PASSWORD!) };
  return withDatabase(hostTargetOf(env), root, fn);
}

/**
 * A clean smokecloud running the cloud stack v1, its database seeded with
 * `documents` documents (100k by default). Uses `worker` for the deploy, or
 * a worker of its own for the time it takes.
 */
export async function prepareSmokecloud({ documents = 100_000, worker }: { documents?: number; worker?: TestWorker } = {}): Promise<SmokecloudSeed> {
  resetHost(SMOKECLOUD);
  const w = worker ?? (await startWorker());
  try {
    const deployed = (await w.client.workflow.execute('deploy', {
      taskQueue: w.taskQueue,
      workflowId: `deploy-${SMOKECLOUD}`,
      args: [{ environment: SMOKECLOUD, version: 'v1' }],
    })) as DeployResult;
    if (deployed.outcome !== 'succeeded') throw new Error(`deploy v1 to ${SMOKECLOUD}: ${deployed.outcome}`);
  } finally {
    if (!worker) await w.stop();
  }
  const seed = await smokecloudDatabase((client) => seedDatabase(client, documents));
  console.log(`${SMOKECLOUD}: seeded ${documents.toLocaleString('en')} documents in ${Object.keys(seed.counts).length} collections in ${seed.seconds.toFixed(1)} s`);
  return seed;
}

/** Replaces the smartsmoker database with smokecloudData(documents), in batches, indexes after the documents. */
async function seedDatabase(client: MongoClient, documents: number): Promise<SmokecloudSeed> {
  const data = smokecloudData(documents);
  const db = client.db(SMOKECLOUD_DATABASE);
  const t0 = performance.now();
  await db.dropDatabase();
  const inFlight = new Set<Promise<unknown>>();
  for (const [collection, docs] of Object.entries(data)) {
    for (let i = 0; i < docs.length; i += BATCH) {
      while (inFlight.size >= PARALLEL) await Promise.race(inFlight);
      const insert = db
        .collection(collection)
        .insertMany(docs.slice(i, i + BATCH), { ordered: false })
        .finally(() => inFlight.delete(insert));
      inFlight.add(insert);
    }
  }
  await Promise.all(inFlight);
  const indexes: Record<string, string[]> = {};
  for (const { collection, key, name, unique } of SMOKECLOUD_INDEXES) {
    (indexes[collection] ??= []).push(await db.collection(collection).createIndex(key, { name, ...(unique ? { unique } : {}) }));
  }
  return {
    counts: Object.fromEntries(Object.entries(data).map(([c, docs]) => [c, docs.length])),
    indexes,
    last: Object.fromEntries(Object.entries(data).map(([c, docs]) => [c, docs.at(-1)!])),
    seconds: (performance.now() - t0) / 1000,
  };
}
