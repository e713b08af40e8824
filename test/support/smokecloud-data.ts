// Smart Smoker's database as the old cloud Pi (smokecloud) holds it: the
// collections its NestJS backend writes through Mongoose (upstream
// apps/backend/src/*/*.schema.ts, model names pluralized in lower case, each
// document with Mongoose's __v), years of cooks and, for each, the
// temperature readings the device posted while it ran. Pure and
// deterministic: the same `documents` gives the same documents, _ids
// included, so a test can compare a database with what was seeded.
import { ObjectId, type Document } from 'mongodb';

/** An index besides _id, as createIndexes takes it. */
export interface SeedIndex {
  collection: string;
  key: Record<string, 1 | -1>;
  name: string;
  unique?: boolean;
}

export const SMOKECLOUD_INDEXES: SeedIndex[] = [
  // A cook's series in time order: what the history screen reads.
  { collection: 'temps', key: { tempsId: 1, date: 1 }, name: 'tempsId_1_date_1' },
  { collection: 'smokes', key: { date: -1 }, name: 'date_-1' },
  // A browser subscribes once; subscribing again must not send every notice twice.
  { collection: 'notificationsubscriptions', key: { endpoint: 1 }, name: 'endpoint_1', unique: true },
];

/** Every collection's documents, in the order they are inserted (each collection's _ids ascending). */
export type SeedData = Record<string, Document[]>;

/** The collections in the order they are listed. */
export const SMOKECLOUD_COLLECTIONS = ['smokes', 'presmokes', 'smokeprofiles', 'postsmokes', 'ratings', 'temps', 'settings', 'states', 'notificationsubscriptions'];

const READINGS_PER_COOK = 250;
const SUBSCRIPTIONS = 8;
const FIRST_COOK = Date.UTC(2023, 2, 4, 7, 30);
const COOK_EVERY_MS = 2.7 * 86_400_000;
const MEATS = [
  { meatType: 'Brisket', probes: ['Flat', 'Point'], hours: [11, 16], target: 203, lb: [12, 18] },
  { meatType: 'Pork Butt', probes: ['Left', 'Right'], hours: [9, 13], target: 200, lb: [7, 10] },
  { meatType: 'Ribs', probes: ['Rack 1', 'Rack 2', 'Rack 3'], hours: [5, 6.5], target: 198, lb: [3, 9] },
  { meatType: 'Chicken', probes: ['Breast'], hours: [2, 3], target: 165, lb: [4, 6] },
  { meatType: 'Turkey', probes: ['Breast', 'Thigh'], hours: [4, 6], target: 165, lb: [12, 16] },
  { meatType: 'Salmon', probes: ['Fillet'], hours: [1, 2], target: 140, lb: [2, 3] },
] as const;
const WOODS = ['Hickory', 'Oak', 'Cherry', 'Apple', 'Mesquite', 'Pecan'];
const PRE_STEPS = ['Trim fat cap to 1/4 in', 'Dry brine overnight', 'Bind with mustard', 'Apply rub', 'Rest at room temperature 1 h', 'Inject with broth'];
const POST_STEPS = ['Wrap in butcher paper', 'Rest in cooler', 'Slice against the grain', 'Pull and toss in juices', 'Glaze and set 10 min'];
const WORDS = 'bark stall wrap spritz apple cider rest tallow juicy tender smoke ring crust wind cold rain lid water pan pellets temp held steady fan'.split(' ');

/** xorshift32: a small PRNG, the same sequence for the same seed. */
function prng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), (x >>> 0) / 2 ** 32);
}

/**
 * The documents of a smokecloud database, `documents` of them in all: one
 * smoke per 250 documents with its pre-smoke, profile, post-smoke and
 * rating (the last cook still running: no post-smoke, no rating yet), the
 * settings, the state, a few push subscriptions, and temps for the rest.
 */
export function smokecloudData(documents: number): SeedData {
  const cooks = Math.floor(documents / READINGS_PER_COOK);
  if (cooks < 1) throw new Error(`smokecloudData: ${documents} documents is too few (at least ${READINGS_PER_COOK})`);
  const random = prng(0x5eed_c10d);
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256))).toString('base64url');
  // _id: the document's own time, "smoke", a counter: ascending in each collection as times are.
  let counter = 0;
  const idAt = (ms: number) => {
    const bytes = Buffer.alloc(12);
    bytes.writeUInt32BE(Math.floor(ms / 1000), 0);
    bytes.write('smoke', 4, 'latin1');
    bytes.writeUIntBE(++counter, 9, 3);
    return new ObjectId(bytes);
  };
  const data: SeedData = Object.fromEntries(SMOKECLOUD_COLLECTIONS.map((c) => [c, []]));
  const add = (collection: string, ms: number, doc: Document) => {
    const full = { _id: idAt(ms), ...doc, __v: 0 };
    data[collection]!.push(full);
    return full._id.toHexString();
  };

  const plans = Array.from({ length: cooks }, (_, i) => {
    const meat = pick(MEATS);
    const startedAt = FIRST_COOK + i * COOK_EVERY_MS + Math.round(between(-3, 3) * 3_600_000);
    return { meat, startedAt, hours: between(meat.hours[0], meat.hours[1]) };
  });
  const fixed = cooks * 3 + (cooks - 1) * 2 + 2 + SUBSCRIPTIONS;
  const readings = documents - fixed;
  const allHours = plans.reduce((sum, p) => sum + p.hours, 0);
  const perCook = plans.map((p) => Math.floor((readings * p.hours) / allHours));
  perCook[cooks - 1]! += readings - perCook.reduce((a, b) => a + b, 0);

  for (let s = 0; s < SUBSCRIPTIONS; s++) {
    const at = FIRST_COOK + Math.round(((s + 0.5) * cooks * COOK_EVERY_MS) / SUBSCRIPTIONS);
    add('notificationsubscriptions', at, {
      endpoint: `https://${pick(['fcm.googleapis.com/fcm/send', 'updates.push.services.mozilla.com/wpush/v2', 'web.push.apple.com'])}/${bytes(24)}`,
      expirationTime: null,
      // An uncompressed P-256 point (0x04, x, y) and a 16-byte secret, as browsers hand them out.
      keys: { p256dh: Buffer.concat([Buffer.of(4), Buffer.from(bytes(64), 'base64url')]).toString('base64url'), auth: bytes(16) },
    });
  }
  let smokeId = '';
  for (const [i, { meat, startedAt, hours }] of plans.entries()) {
    const running = i === cooks - 1;
    const created = startedAt - Math.round(between(1, 5) * 3_600_000);
    const lb = Math.round(between(meat.lb[0], meat.lb[1]) * 4) / 4;
    const preSmokeId = add('presmokes', created, {
      name: `${meat.meatType} ${lb} lb`,
      meatType: meat.meatType,
      weight: { unit: 'LB', weight: lb },
      steps: PRE_STEPS.filter(() => random() < 0.5),
      notes: words(4 + Math.floor(random() * 12)),
    });
    const smokeProfileId = add('smokeprofiles', created, {
      chamberName: 'Chamber',
      probe1Name: meat.probes[0],
      probe2Name: meat.probes[1] ?? '',
      probe3Name: meat.probes[2] ?? '',
      notes: words(3 + Math.floor(random() * 6)),
      woodType: pick(WOODS),
    });
    const tempsId = idAt(startedAt).toHexString();
    const setpoint = pick([225, 225, 250, 275]);
    const n = perCook[i]!;
    const every = (hours * 3_600_000) / n;
    let chamber = between(60, 80);
    const probes = meat.probes.map(() => between(36, 42));
    let peak = 0;
    // The meat climbs towards the chamber and is done about when the cook ends; big cuts stall between 150 and 170 °F.
    const stalls = meat.target > 190;
    const rate = (Math.log((setpoint - 40) / Math.max(setpoint - meat.target, 8)) / n) * (stalls ? 1.3 : 1.1);
    for (let r = 0; r < n; r++) {
      const at = Math.round(startedAt + r * every);
      chamber += (setpoint - chamber) * 0.08 + between(-3, 3);
      peak = Math.max(peak, chamber);
      for (let p = 0; p < probes.length; p++) probes[p]! += Math.max(0, chamber - probes[p]!) * rate * (stalls && probes[p]! > 150 && probes[p]! < 170 ? 0.5 : 1) * between(0.8, 1.2);
      add('temps', at, {
        MeatTemp: probes[0]!.toFixed(1),
        ...(probes[1] === undefined ? {} : { Meat2Temp: probes[1].toFixed(1) }),
        ...(probes[2] === undefined ? {} : { Meat3Temp: probes[2].toFixed(1) }),
        ChamberTemp: chamber.toFixed(1),
        tempsId,
        date: new Date(at),
      });
    }
    const finishedAt = Math.round(startedAt + hours * 3_600_000);
    const done = running
      ? {}
      : {
          postSmokeId: add('postsmokes', finishedAt, { restTime: `${pick([30, 45, 60, 90, 120])} min`, steps: POST_STEPS.filter(() => random() < 0.5), notes: words(5 + Math.floor(random() * 15)) }),
          ratingId: add('ratings', finishedAt, {
            smokeFlavor: Math.ceil(between(2, 5)),
            seasoning: Math.ceil(between(2, 5)),
            tenderness: Math.ceil(between(1, 5)),
            overallTaste: Math.ceil(between(2, 5)),
            notes: words(3 + Math.floor(random() * 10)),
          }),
        };
    smokeId = add('smokes', created, {
      preSmokeId,
      tempsId,
      smokeProfileId,
      ...done,
      date: new Date(created),
      startedAt: new Date(startedAt),
      ...(running ? {} : { finishedAt: new Date(finishedAt), targetTemp: meat.target, peakChamber: Math.round(peak * 10) / 10 }),
      status: running ? 0 : 1,
    });
  }
  const last = plans.at(-1)!.startedAt;
  add('settings', last, { dataExportEmail: 'pitmaster@example.com', notifications: { MinMeatTemp: 40, MaxMeatTemp: 210, MinChamberTemp: 200, MaxChamberTemp: 300 } });
  add('states', last, { smokeId, smoking: true });
  return data;
}
