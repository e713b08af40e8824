// The smokecloud seed (test/support/smokecloud-data.ts) is what the
// migration tests compare against: exact in size, the same every time, and
// each collection's last document its newest by _id.
import { describe, expect, it } from 'vitest';
import { smokecloudData, SMOKECLOUD_COLLECTIONS, SMOKECLOUD_INDEXES } from '../support/smokecloud-data.ts';

describe('smokecloudData', () => {
  const data = smokecloudData(100_000);

  it('holds exactly the documents asked for, in every collection it lists, most of them temps', () => {
    expect(Object.keys(data)).toEqual(SMOKECLOUD_COLLECTIONS);
    const counts = Object.fromEntries(Object.entries(data).map(([c, docs]) => [c, docs.length]));
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(100_000);
    expect(counts).toMatchObject({ smokes: 400, presmokes: 400, smokeprofiles: 400, postsmokes: 399, ratings: 399, settings: 1, states: 1 });
    expect(smokecloudData(1_000).temps!.length + 4 * 3 + 3 * 2 + 2 + 8).toBe(1_000);
  });

  it('is the same every time, _ids included', () => {
    expect(JSON.stringify(smokecloudData(2_000))).toBe(JSON.stringify(smokecloudData(2_000)));
  });

  it("has each collection's _ids unique and ascending in insertion order, so the last inserted is the newest", () => {
    for (const [collection, docs] of Object.entries(data)) {
      const ids = docs.map((d) => d._id.toHexString());
      expect(ids, collection).toEqual([...new Set(ids)].sort());
    }
  });

  it('links each smoke to its own pre-smoke, profile and temps, and keeps unique-index keys unique', () => {
    const ids = (c: string) => new Set(data[c]!.map((d) => d._id.toHexString()));
    const [presmokes, profiles] = [ids('presmokes'), ids('smokeprofiles')];
    const series = new Set(data.temps!.map((t) => t.tempsId));
    for (const smoke of data.smokes!) {
      expect(presmokes.has(smoke.preSmokeId) && profiles.has(smoke.smokeProfileId) && series.has(smoke.tempsId)).toBe(true);
    }
    expect(data.states![0]).toMatchObject({ smokeId: data.smokes!.at(-1)!._id.toHexString(), smoking: true });
    for (const { collection, key } of SMOKECLOUD_INDEXES.filter((i) => i.unique)) {
      const values = data[collection]!.map((d) => JSON.stringify(Object.keys(key).map((k) => d[k])));
      expect(new Set(values).size, collection).toBe(values.length);
    }
  });
});
