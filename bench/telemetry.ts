// Smoker telemetry for bench:backup: a database shaped like Smart Smoker's
// (devices, their cooks, every cook's temperatures, the alerts it raised),
// seeded once through the SSH-tunnelled driver and found again by a marker
// on later runs. The numbers come from a seeded PRNG, so every seed holds
// the same readings and compresses alike; they are rounded as the sensors
// report them, so gzip sees telemetry, not noise.
//
// The readings are stored as a device uploads them: one document per cook
// and hour, its 3,600 one-second readings packed as int16 (the bucket
// pattern MongoDB recommends for time series), not one small document per
// reading. That is also what lets the lab's database reach issue 9's
// 200 MB in minutes: FerretDB on SQLite keeps each document as JSON and
// pays per value it decodes (and mongodump makes it read everything twice,
// counting first), so one small document per reading costs ~1 ms each, a
// packed batch ~0.2 ms per 30 KB.
import { Binary, BSON, ObjectId, type Db, type Document, type MongoClient } from 'mongodb';

/** Its own database: one dropDatabase removes it, and the app's data is never mixed with it. */
export const SEED_DATABASE = 'smartsmoker_bench';
/** Bumped when the documents change, so an older seed is replaced instead of measured. */
const SEED_VERSION = 2;
const MARKER = { collection: 'seed', _id: 'telemetry' } as const;
type Marker = Seeded & { _id: string; version: number };

export interface Seeded {
  /** What was asked for: a seed is reused only for the same size, so figures stay comparable across runs. */
  targetBytes: number;
  /** The documents' size as BSON: what mongodump reads, and what mongo:7's dbStats dataSize would count. */
  bsonBytes: number;
  counts: Record<string, number>;
  /** Each collection's documents as BSON, in bytes. */
  bytes: Record<string, number>;
  indexes: string[];
  /** How long the seed took, when it was made. */
  seconds: number;
  at: string;
}

const SMOKERS = 40;
/** The device reads its probes once a second and uploads them an hour at a time. */
const READING_EVERY_S = 1;
const BATCH_S = 3600;
const MEATS = [
  { meat: 'brisket', hours: [12, 16], probes: ['flat', 'point'], target: 203, lb: [12, 18] },
  { meat: 'pork shoulder', hours: [10, 14], probes: ['left', 'right'], target: 200, lb: [8, 10] },
  { meat: 'ribs', hours: [5, 6], probes: ['rack 1', 'rack 2', 'rack 3'], target: 198, lb: [3, 9] },
  { meat: 'chicken', hours: [2, 3], probes: ['breast', 'thigh'], target: 165, lb: [4, 6] },
  { meat: 'turkey', hours: [4, 6], probes: ['breast', 'thigh'], target: 165, lb: [12, 16] },
  { meat: 'salmon', hours: [1, 2], probes: ['fillet'], target: 140, lb: [2, 3] },
] as const;
const WORDS = 'rub bark stall wrap butcher paper oak hickory cherry pellets spritz apple cider rest tallow juicy tender smoke ring crust wind cold rain lid water pan'.split(' ');

/** mulberry32: small, fast, and the same sequence for the same seed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The seed's marker, if a complete seed of this version and this size is there. */
export async function findSeed(client: MongoClient, targetBytes: number): Promise<Seeded | undefined> {
  const marker = await client.db(SEED_DATABASE).collection<Marker>(MARKER.collection).findOne({ _id: MARKER._id });
  if (!marker || marker.version !== SEED_VERSION || marker.targetBytes !== targetBytes) return undefined;
  const { bsonBytes, counts, bytes, indexes, seconds, at } = marker;
  // Restored without its indexes (a documents-only mongorestore by hand), it is no seed: the restores would build none.
  for (const index of indexes) {
    const dot = index.indexOf('.');
    if (!(await client.db(SEED_DATABASE).collection(index.slice(0, dot)).indexExists(index.slice(dot + 1)))) return undefined;
  }
  return { targetBytes, bsonBytes, counts, bytes, indexes, seconds, at };
}

/**
 * Drops the seed database and writes at least `targetBytes` of documents
 * (as BSON), `parallel` insertMany batches in flight at once (SQLite has one
 * writer; a few batches in flight keep it busy while the next is encoded).
 * The marker is written last: an interrupted seed has none, and is redone.
 */
export async function seed(client: MongoClient, targetBytes: number, progress: (line: string) => void, parallel = 4): Promise<Seeded> {
  const t0 = performance.now();
  const db = client.db(SEED_DATABASE);
  await db.dropDatabase();
  const names = ['devices', 'cooks', 'readings', 'events'];
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const bytes: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  let bsonBytes = 0;
  const inFlight = new Set<Promise<unknown>>();
  const batches: Record<string, { docs: Document[]; bytes: number }> = Object.fromEntries(names.map((n) => [n, { docs: [], bytes: 0 }]));
  const flush = async (name: string) => {
    const { docs } = batches[name]!;
    if (docs.length === 0) return;
    batches[name] = { docs: [], bytes: 0 };
    while (inFlight.size >= parallel) await Promise.race(inFlight);
    const insert = db
      .collection(name)
      .insertMany(docs, { ordered: false })
      .finally(() => inFlight.delete(insert));
    inFlight.add(insert);
  };
  const add = async (name: string, doc: Document) => {
    const size = BSON.calculateObjectSize(doc);
    bsonBytes += size;
    bytes[name]! += size;
    counts[name]!++;
    const batch = batches[name]!;
    batch.docs.push(doc);
    batch.bytes += size;
    if (batch.docs.length >= 1000 || batch.bytes >= 8 * 2 ** 20) await flush(name);
  };

  const random = prng(9);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const start = Date.UTC(2023, 0, 1);
  for (let i = 0; i < SMOKERS; i++) {
    await add('devices', {
      _id: `smoker-${String(i + 1).padStart(2, '0')}`,
      name: `${pick(['Backyard', 'Patio', 'Competition', 'Garage'])} smoker ${i + 1}`,
      model: pick(['SS-1', 'SS-1', 'SS-2 Pro']),
      firmware: pick(['v1.3.9', 'v1.4.2', 'v1.4.2', 'v1.5.0']),
      owner: `user-${1000 + i}`,
      timeZone: pick(['America/Chicago', 'America/New_York', 'Europe/Berlin']),
      registeredAt: new Date(start - between(30, 400) * 86_400_000),
    });
  }

  let reported = 0;
  for (let cookNo = 0; bsonBytes < targetBytes; cookNo++) {
    const smokerId = `smoker-${String((cookNo % SMOKERS) + 1).padStart(2, '0')}`;
    const kind = pick(MEATS);
    const startedAt = start + cookNo * 3 * 3_600_000;
    const cookId = new ObjectId(startedAt / 1000);
    const hours = between(kind.hours[0], kind.hours[1]);
    const setpoint = pick([225, 225, 250, 275]);
    const seconds = Math.round((hours * 3600) / READING_EVERY_S);
    const channels = [
      { name: 'chamber', unit: '°F', scale: 0.1 },
      { name: 'fan', unit: '%', scale: 1 },
      ...kind.probes.map((name) => ({ name: `probe ${name}`, unit: '°F', scale: 0.1 })),
    ];
    // The smooth state; what the sensors report is it plus their noise, rounded as they round.
    let chamber = 70;
    let fan = 100;
    let lidOpenFor = 0;
    let pellets = between(60, 100);
    const probes = kind.probes.map(() => between(36, 42));
    for (let from = 0; from < seconds; from += BATCH_S) {
      const n = Math.min(BATCH_S, seconds - from);
      const samples = Buffer.alloc(n * channels.length * 2);
      const min = channels.map(() => Infinity);
      const max = channels.map(() => -Infinity);
      const sum = channels.map(() => 0);
      let lidOpenings = 0;
      let lowest = Infinity;
      // Defined once per batch: a closure made per reading costs more than the reading (tsx names every one).
      const record = (r: number, c: number, value: number) => {
        const raw = Math.round(value / channels[c]!.scale);
        samples.writeInt16LE(raw, (r * channels.length + c) * 2);
        if (raw < min[c]!) min[c] = raw;
        if (raw > max[c]!) max[c] = raw;
        sum[c]! += raw;
      };
      for (let r = 0; r < n; r++) {
        // The chamber climbs to its setpoint and wanders around it, drops while the lid is open; the meat follows, stalling near 160.
        if (lidOpenFor === 0 && random() < 0.00007) {
          lidOpenFor = Math.round(between(20, 90));
          lidOpenings++;
        }
        if (lidOpenFor > 0) lidOpenFor--;
        chamber += (setpoint - chamber) * 0.0007 + between(-0.25, 0.25) - (lidOpenFor > 0 ? 0.6 : 0);
        fan = Math.max(0, Math.min(100, fan + (setpoint - chamber) * 0.03 + between(-0.1, 0.1)));
        pellets = Math.max(0, pellets - between(0, 0.0004));
        record(r, 0, chamber + between(-0.4, 0.4));
        record(r, 1, fan);
        for (let p = 0; p < probes.length; p++) {
          const t = probes[p]!;
          probes[p] = t + Math.max(0, chamber - t) * (t > 150 && t < 170 ? 0.000013 : 0.00005) + between(-0.002, 0.002);
          record(r, 2 + p, probes[p]! + between(-0.15, 0.15));
        }
        lowest = Math.min(lowest, chamber);
      }
      const at = new Date(startedAt + from * READING_EVERY_S * 1000);
      await add('readings', {
        _id: new ObjectId(Math.floor(at.getTime() / 1000)),
        cookId,
        smokerId,
        from: at,
        to: new Date(at.getTime() + n * READING_EVERY_S * 1000),
        everySeconds: READING_EVERY_S,
        readings: n,
        setpoint,
        pelletPercent: round1(pellets),
        channels,
        encoding: 'int16le, one row per reading, a column per channel; value = raw × scale',
        samples: new Binary(samples),
        summary: channels.map((c, i) => ({ channel: c.name, min: round1(min[i]! * c.scale), max: round1(max[i]! * c.scale), mean: round1((sum[i]! / n) * c.scale) })),
        lidOpenings,
      });
      for (let l = 0; l < lidOpenings; l++) {
        await add('events', { cookId, smokerId, at, kind: 'lid-open', message: 'Lid opened: chamber temperature dropping', value: round1(chamber) });
      }
      if (from > 0 && lowest < setpoint - 25) {
        await add('events', { cookId, smokerId, at, kind: 'temp-low', message: `Chamber ${Math.round(lowest)}°F, ${Math.round(setpoint - lowest)}°F under setpoint`, value: round1(lowest) });
      }
    }
    const endedAt = new Date(startedAt + seconds * READING_EVERY_S * 1000);
    for (const [p, name] of kind.probes.entries()) {
      await add('events', { cookId, smokerId, at: endedAt, kind: 'probe-done', probe: p + 1, message: `${name} reached ${kind.target}°F`, value: round1(probes[p]!) });
    }
    await add('cooks', {
      _id: cookId,
      smokerId,
      name: `${kind.meat[0]!.toUpperCase()}${kind.meat.slice(1)} ${Math.round(between(kind.lb[0], kind.lb[1]))} lb`,
      meat: kind.meat,
      startedAt: new Date(startedAt),
      endedAt,
      setpoint,
      probes: kind.probes.map((name, p) => ({ probe: p + 1, name, target: kind.target })),
      readings: seconds,
      notes: Array.from({ length: 12 + Math.floor(random() * 24) }, () => pick(WORDS)).join(' '),
      rating: Math.ceil(between(2, 5)),
    });
    if (bsonBytes - reported >= targetBytes / 10) {
      reported = bsonBytes;
      progress(`seeding: ${mib(bsonBytes)} of ${mib(targetBytes)}, ${counts.readings} hours of readings, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  }
  for (const name of names) await flush(name);
  await Promise.all(inFlight);

  // Indexes after the documents: one build each, not an update per insert.
  const indexes = await createSeedIndexes(db);
  const seeded: Seeded = { targetBytes, bsonBytes, counts, bytes, indexes, seconds: (performance.now() - t0) / 1000, at: new Date().toISOString() };
  await db.collection<Marker>(MARKER.collection).insertOne({ _id: MARKER._id, version: SEED_VERSION, ...seeded });
  return seeded;
}

/** The seed's indexes besides _id (again, after a restore that could not build them), as `collection.name`. */
export async function createSeedIndexes(db: Db): Promise<string[]> {
  const indexes: string[] = [];
  for (const [name, keys] of [
    ['readings', { cookId: 1, from: 1 }],
    ['readings', { smokerId: 1, from: -1 }],
    ['cooks', { smokerId: 1, startedAt: -1 }],
    ['events', { cookId: 1, at: 1 }],
  ] as const) {
    indexes.push(`${name}.${await db.collection(name).createIndex(keys)}`);
  }
  return indexes;
}

/** What the database itself says it holds: FerretDB on SQLite counts its own (JSON) form of the documents. */
export async function databaseStats(db: Db): Promise<{ dataSize: number; storageSize: number; indexSize: number }> {
  const stats = await db.command({ dbStats: 1 });
  return { dataSize: Number(stats.dataSize), storageSize: Number(stats.storageSize), indexSize: Number(stats.indexSize ?? 0) };
}

export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
