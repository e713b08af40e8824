// The lab's old cloud Pi, smokecloud, as prepareSmokecloud leaves it for the
// database migration: a trixie host running the cloud stack, its database
// holding the seed (read back through the container's own shell, not the
// seeding code), and the backend answering the newest document of a
// collection, as the migration's smoke check reads it.
import { BSON, type Document } from 'mongodb';
import { beforeAll, expect, it } from 'vitest';
import { onHost } from '../support/lab.ts';
import { command } from '../support/mongo.ts';
import { prepareSmokecloud, SMOKECLOUD, SMOKECLOUD_DATABASE, type SmokecloudSeed } from '../support/smokecloud.ts';
import { SMOKECLOUD_INDEXES } from '../support/smokecloud-data.ts';

let seed: SmokecloudSeed;

beforeAll(async () => {
  seed = await prepareSmokecloud();
}, 10 * 60_000);

const db = (json: unknown) => command(SMOKECLOUD, SMOKECLOUD_DATABASE, json);

/** GET on the backend, from the host itself (it listens on the host's loopback): status and body. */
function backendGet(path: string): { status: number; body: string } {
  const out = onHost(SMOKECLOUD, `curl -s -w '\\n%{http_code}' http://127.0.0.1:3001${path}`);
  const at = out.lastIndexOf('\n');
  return { status: Number(out.slice(at + 1)), body: out.slice(0, at) };
}

/** A document in canonical Extended JSON: types kept (int, double, date, ObjectId), key order not. */
const canonical = (doc: Document) => BSON.EJSON.serialize(doc, { relaxed: false });

it('smokecloud is a trixie machine running the cloud stack, every container healthy', () => {
  expect(onHost(SMOKECLOUD, '. /etc/os-release; echo $VERSION_CODENAME').trim()).toBe('trixie');
  const running = onHost(SMOKECLOUD, "docker ps --format '{{.Names}} {{.Status}}'").trim().split('\n').sort();
  expect(running.map((line) => line.split(' ')[0])).toEqual(['backend_cloud', 'frontend_cloud', 'mongo']);
  for (const line of running) expect(line).toContain('(healthy)');
});

it('the database holds the seed: at least 100k documents in its collections, with their indexes', () => {
  const listed = db({ listCollections: 1, nameOnly: true }).cursor.firstBatch.map((c: { name: string }) => c.name).sort();
  expect(listed).toEqual(Object.keys(seed.counts).sort());
  const counts = Object.fromEntries(listed.map((c: string) => [c, Number(db({ count: c }).n)]));
  expect(counts).toEqual(seed.counts);
  expect(Object.values<number>(counts).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(100_000);
  expect(Object.values<number>(counts).filter((n) => n >= 100).length).toBeGreaterThanOrEqual(4);

  for (const { collection, key, name, unique } of SMOKECLOUD_INDEXES) {
    const indexes = db({ listIndexes: collection }).cursor.firstBatch as { name: string; key: Record<string, number>; unique?: boolean }[];
    expect(indexes.find((i) => i.name === name), `${collection}.${name}`).toMatchObject({ key, ...(unique ? { unique: true } : {}) });
  }
  // The unique index holds: a second subscription with the same endpoint is refused.
  const { endpoint } = seed.last.notificationsubscriptions!;
  expect(() => db({ insert: 'notificationsubscriptions', documents: [{ endpoint }] })).toThrow(/E11000 duplicate key/);
});

it('GET /api/latest/<collection> on the backend answers the document inserted last, and 404 for an empty collection', () => {
  for (const [collection, last] of Object.entries(seed.last)) {
    const { status, body } = backendGet(`/api/latest/${collection}`);
    expect(status, `${collection}: ${body}`).toBe(200);
    expect(canonical(BSON.EJSON.parse(body, { relaxed: false })), collection).toEqual(canonical(last));
  }
  expect(backendGet('/api/latest/nothing-here').status).toBe(404);
});
