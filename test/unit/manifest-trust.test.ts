// Manifests and names read from hosts (and from the runner's store) are
// input (issue 21): the manifest parser, the capped readers, the one check
// every name from a host passes before it is part of a path, and rotation
// and listings that count no backup the store has no copy of. Hostile and
// random inputs, many of them generated (fast-check).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLOCK_SKEW_MS, MAX_MANIFEST_BYTES, parseManifest, printableDetail, readStoreManifest, type ManifestContext } from '../../src/activities/database/manifest.ts';
import { childPath, nameProblem, parseEntries, shownName } from '../../src/activities/host/names.ts';
import { quote } from '../../src/commands/command.ts';
import { listEntries, readRegularFile } from '../../src/commands/files.ts';
import { BACKUP_ID, backupIdAt, backupIdTime } from '../../src/workflows/backup-id.ts';
import { HOST_ONLY, inventoryOf } from '../../src/workflows/backup.ts';
import { DEFAULT_RETENTION, rotate, vouchedByStore, type RotationCandidate } from '../../src/workflows/rotation.ts';
import type { BackupManifest } from '../../src/workflows/types.ts';

const NOW = Date.UTC(2026, 11, 8, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const context: ManifestContext = { now: NOW, environment: 'dev-cloud' };

/** A manifest as takeBackup and inspectArchive write one. */
function manifest(takenAt = NOW - HOUR, extra: Partial<BackupManifest> = {}): BackupManifest {
  const id = backupIdAt(takenAt);
  return {
    id,
    environment: 'dev-cloud',
    takenAt,
    trigger: 'schedule',
    consistency: 'online',
    archive: `${id}.archive.gz`,
    sha256: 'ab'.repeat(32),
    bytes: 48_213,
    collections: [{ namespace: 'smartsmoker.cooks', documents: 250 }],
    indexes: [{ namespace: 'smartsmoker.cooks', specs: [{ name: '_id_', key: { _id: 1 } }, { name: 'by_name', key: { name: 1 }, unique: true }] }],
    tools: { mongodump: '100.10.0' },
    content: { serverVersion: '7.0.14', toolVersion: '100.10.0', collections: [{ namespace: 'smartsmoker.cooks', documents: 250, bytes: 30_000, sha256: 'cd'.repeat(32), indexes: [{ name: '_id_', key: { _id: 1 } }] }] },
    run: { workflowId: 'database-dev-cloud', runId: '0193a5c4-1111-7000-8000-000000000000' },
    validated: { at: NOW - HOUR / 2, ok: true, detail: 'restored into a scratch database: 1 collection(s), 250 document(s)', run: { workflowId: 'database-dev-cloud', runId: 'r' } },
    ...extra,
  };
}

const verdictOf = (value: unknown, ctx: ManifestContext = context) => parseManifest(JSON.stringify(value), ctx);
const whyOf = (value: unknown, ctx: ManifestContext = context): string => {
  const verdict = verdictOf(value, ctx);
  if (verdict.ok) throw new Error(`accepted: ${JSON.stringify(value).slice(0, 200)}`);
  return verdict.why;
};

describe('backup ids', () => {
  it('every id smokestack makes is one, and names its time', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2200, 0, 1) }), fc.constantFrom('', '-safety', '-pre-migration', '-dry-run', '-dry-run-copy', '-migration'), (ms, suffix) => {
        const id = `${backupIdAt(ms)}${suffix}`;
        expect(id).toMatch(BACKUP_ID);
        expect(backupIdTime(id)).toBe(Math.floor(ms / 1000) * 1000);
      }),
    );
  });

  it('nothing with a path, a control character or an impossible date is one', () => {
    for (const id of ['../../x', '2026-12-01T00-00-00Z/..', '2026-12-01T00-00-00Z\n', '2026-12-01T00-00-00Z-../x', '2026-02-30T00-00-00Z', '2026-12-01T25-00-00Z', '2026-12-01T00:00:00Z', ' 2026-12-01T00-00-00Z', '']) {
      expect(backupIdTime(id), JSON.stringify(id)).toBeUndefined();
    }
  });
});

describe('parseManifest', () => {
  it('accepts what smokestack writes, as it was written', () => {
    const m = manifest();
    expect(verdictOf(m)).toEqual({ ok: true, manifest: m });
    // The older manifests: no indexes, content or verdict yet (a planted test backup, a backup from before content hashes).
    const { indexes: _i, content: _c, validated: _v, ...old } = m;
    expect(verdictOf(old)).toEqual({ ok: true, manifest: old });
    expect(verdictOf(m, { ...context, id: m.id }).ok).toBe(true);
  });

  it('drops fields it does not know, at every level but an index spec (whose options createIndexes takes)', () => {
    const m = manifest();
    const verdict = verdictOf({ ...m, note: 'hi', run: { ...m.run, extra: 1 }, indexes: [{ namespace: 'a.b', specs: [{ name: 'x', key: { x: 1 }, sparse: true }] }] });
    expect(verdict.ok && verdict.manifest).toMatchObject({ run: m.run, indexes: [{ namespace: 'a.b', specs: [{ name: 'x', key: { x: 1 }, sparse: true }] }] });
    expect(verdict.ok && 'note' in verdict.manifest).toBe(false);
    expect(verdict.ok && 'extra' in verdict.manifest.run).toBe(false);
  });

  it('refuses an id that is no backup id, saying which', () => {
    expect(whyOf({ ...manifest(), id: '../../x', archive: '../../x.archive.gz' })).toBe('id "../../x": is not a backup id (e.g. 2026-11-28T02-00-00Z)');
    expect(whyOf({ ...manifest(), id: '2026-12-01T00-00-00Z\n..', archive: 'x' })).toContain('id "2026-12-01T00-00-00Z\\n..": is not a backup id');
  });

  it('refuses hostile ids, whatever they are (property)', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.string().map((s) => `../${s}`),
      fc.string().map((s) => `${backupIdAt(NOW - HOUR)}/${s}`),
      fc.constantFrom('\n', '\r', '\u0000', '\u001b[31m', '\u2028', '..').map((c) => `${backupIdAt(NOW - HOUR)}${c}`),
    );
    fc.assert(
      fc.property(hostile, (id) => {
        fc.pre(!BACKUP_ID.test(id));
        expect(verdictOf({ ...manifest(), id, archive: `${id}.archive.gz` }).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses an archive that is not its id's, another environment's backup, and a file that names another id", () => {
    const m = manifest();
    expect(whyOf({ ...m, archive: '../../etc/passwd' })).toMatch(/^its archive "..\/..\/etc\/passwd" is not /);
    expect(whyOf({ ...m, archive: `${backupIdAt(NOW - 2 * HOUR)}.archive.gz` })).toContain('is not');
    expect(whyOf({ ...m, environment: 'prod-cloud' })).toBe(`it is a backup of "prod-cloud", found among dev-cloud's`);
    expect(whyOf(m, { ...context, id: backupIdAt(NOW - 2 * HOUR) })).toContain(`but it says it is "${m.id}"`);
  });

  it('refuses a time in the future beyond a minute of skew: taken, in its id, or validated', () => {
    expect(verdictOf(manifest(NOW + CLOCK_SKEW_MS - 1000)).ok).toBe(true);
    const nextYear = NOW + 365 * DAY;
    expect(whyOf(manifest(nextYear))).toMatch(/^its id's time is 2027-12-08T.*, in the future \(the worker's clock says 2026-12-08T12:00:00.000Z\)$/);
    // A future time with an id of now: the time itself is caught.
    expect(whyOf({ ...manifest(), takenAt: nextYear })).toMatch(/^taken at 2027-12-08T.*, in the future/);
    expect(whyOf(manifest(NOW - HOUR, { validated: { at: nextYear, ok: true, detail: 'planted' } }))).toMatch(/^validated at 2027/);
    // And a time before smokestack existed is no backup's.
    expect(whyOf(manifest(Date.UTC(2019, 0, 1)))).toContain('takenAt: must be a time after 2020');
  });

  it('refuses sizes, counts and text out of bounds', () => {
    const m = manifest();
    for (const [change, why] of [
      [{ bytes: 0 }, 'bytes'],
      [{ bytes: -5 }, 'bytes'],
      [{ bytes: 1.5 }, 'bytes'],
      [{ bytes: 2 ** 51 }, 'bytes'],
      [{ bytes: '100' }, 'bytes'],
      [{ takenAt: Number.NaN }, 'takenAt'],
      [{ sha256: 'planted' }, 'sha256: must be a sha256 in hex'],
      [{ collections: [{ namespace: 'smartsmoker.cooks', documents: -1 }] }, 'collections.0.documents'],
      [{ collections: [{ namespace: 'no-dot', documents: 1 }] }, 'collections.0.namespace'],
      [{ collections: Array.from({ length: 10_001 }, () => ({ namespace: 'a.b', documents: 1 })) }, 'collections'],
      [{ tools: { mongodump: 'x'.repeat(201) } }, 'tools.mongodump'],
      [{ tools: { mongodump: '100.10\u001b[2J' } }, 'tools.mongodump: must be one line of printable text'],
      [{ trigger: 'cron' }, 'trigger'],
      [{ validated: { at: NOW, ok: 'yes', detail: '' } }, 'validated.ok'],
      [{ validated: { at: NOW, ok: true, detail: 'fine\u0007' } }, 'validated.detail'],
    ] as [Partial<Record<keyof BackupManifest, unknown>>, string][]) {
      expect(whyOf({ ...m, ...change }), JSON.stringify(change).slice(0, 80)).toContain(why);
    }
  });

  it('refuses what is not a manifest at all: not JSON, too large, too deep, or a key that would set a prototype', () => {
    expect(parseManifest('', context)).toMatchObject({ ok: false, why: expect.stringMatching(/^not JSON/) });
    expect(parseManifest('\u001b[31m{', context)).toMatchObject({ ok: false, why: expect.not.stringContaining('\u001b') });
    expect(parseManifest(JSON.stringify(manifest()) + ' '.repeat(MAX_MANIFEST_BYTES), context)).toEqual({ ok: false, why: `larger than ${MAX_MANIFEST_BYTES} bytes` });
    const deep = JSON.parse('{"x":'.repeat(40) + '1' + '}'.repeat(40));
    expect(whyOf({ ...manifest(), indexes: [{ namespace: 'a.b', specs: [{ name: 'x', key: { x: 1 }, partialFilterExpression: deep }] }] })).toBe('nested deeper than 32 levels');
    expect(parseManifest(JSON.stringify(manifest()).replace('{', '{"__proto__":{"polluted":true},'), context)).toEqual({ ok: false, why: 'a key named __proto__, constructor or prototype' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    for (const text of ['null', '[]', '"x"', '1', 'true']) expect(parseManifest(text, context).ok).toBe(false);
  });

  it('never throws, and whatever it accepts is a backup of ours: an id, its archive, no time in the future (property)', () => {
    const base = manifest();
    const mutated = fc.oneof(
      fc.jsonValue(),
      fc.record({ key: fc.constantFrom(...(Object.keys(base) as (keyof BackupManifest)[])), value: fc.jsonValue() }).map(({ key, value }) => ({ ...base, [key]: value })),
      fc.integer({ min: NOW - 3 * 365 * DAY, max: NOW + 365 * DAY }).map((t) => ({ ...base, takenAt: t, id: backupIdAt(t), archive: `${backupIdAt(t)}.archive.gz` })),
    );
    fc.assert(
      fc.property(mutated, (value) => {
        const verdict = verdictOf(value);
        if (!verdict.ok) {
          expect(verdict.why).toMatch(/^[^\u0000-\u001f\u007f-\u009f]+$/);
          return;
        }
        const m = verdict.manifest;
        expect(m.id).toMatch(BACKUP_ID);
        expect(m.archive).toBe(`${m.id}.archive.gz`);
        expect(nameProblem(m.archive)).toBeUndefined();
        expect(m.takenAt).toBeLessThanOrEqual(NOW + CLOCK_SKEW_MS);
        expect(backupIdTime(m.id)!).toBeLessThanOrEqual(NOW + CLOCK_SKEW_MS);
      }),
      { numRuns: 1000 },
    );
  });

  it("masks what would refuse a verdict's detail rather than lose the verdict", () => {
    expect(printableDetail('mongorestore said:\n\u001b[31mfailed\u0000\tend')).toBe('mongorestore said:\n?[31mfailed?\tend');
    expect(printableDetail('x'.repeat(100_000))).toHaveLength(64 * 1024);
  });
});

describe('names from hosts', () => {
  it('refuses "/", "..", control characters, non-UTF-8 and empty names, and says why', () => {
    expect(nameProblem('2026-12-01T00-00-00Z.manifest.json')).toBeUndefined();
    expect(nameProblem('.env')).toBeUndefined();
    expect(nameProblem('..')).toBe('a name with ".."');
    expect(nameProblem('.')).toBe('the name "."');
    expect(nameProblem('')).toBe('an empty name');
    expect(nameProblem('a/b')).toBe('a name with "/"');
    expect(nameProblem('x\n..\ny')).toBe('a name with ".."');
    expect(nameProblem('x\ny')).toBe('a name with a control character or bytes that are not UTF-8');
    expect(nameProblem('caf\ufffd')).toBe('a name with a control character or bytes that are not UTF-8');
    expect(nameProblem('x'.repeat(256))).toBe('a name of 256 characters');
  });

  it('any name it passes is one entry of its directory, and any it refuses is never joined (property)', () => {
    const risky = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('.', '/', '\n', 'a', '\u0000', '-', ' ') }));
    fc.assert(
      fc.property(risky, (name) => {
        const dir = '/opt/smart-smoker-dev/backups/scheduled';
        if (nameProblem(name) !== undefined) {
          expect(() => childPath(dir, name)).toThrow(/^refusing /);
          return;
        }
        const path = childPath(dir, name);
        expect(posix.dirname(path)).toBe(dir);
        expect(posix.basename(path)).toBe(name);
        expect(posix.normalize(path)).toBe(path);
        expect(name).not.toMatch(/[\n\u0000/]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('shows a name quoted, every control character escaped', () => {
    expect(shownName('x\n..\u001b[2J\u0085')).toBe('"x\\n..\\u001b[2J\\u0085"');
    expect(shownName('y'.repeat(300))).toBe(`"${'y'.repeat(100)}…"`);
  });

  it('reads a NUL-separated listing: a name with a newline stays one name and is refused, the rest newest first', () => {
    const listing = ['d 1765000000.5000000000 rollback-a', 'd 1765000100.0000000000 rollback-b', 'd 1765000100.0000000000 rollback-a2', 'f 1765000200.1 x\n..\ny', 'l 1765000000.0 link', ''].join('\0');
    const { entries, refused } = parseEntries(listing);
    expect(entries.map((e) => [e.type, e.name])).toEqual([
      ['d', 'rollback-a2'],
      ['d', 'rollback-b'],
      ['d', 'rollback-a'],
      ['l', 'link'],
    ]);
    expect(refused).toEqual([{ name: '"x\\n..\\ny"', why: 'a name with ".."' }]);
    expect(parseEntries('garbage\0').refused).toEqual([{ name: '"garbage"', why: 'a listing line that is not "type time name"' }]);
    expect(parseEntries('')).toEqual({ entries: [], refused: [] });
  });

  it('no listing, whatever names it holds, yields a name that is not a plain file name (property)', () => {
    const name = fc.string({ unit: fc.constantFrom('.', '/', '\n', 'a', 'b', '\u0000', ' '), maxLength: 12 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('f', 'd', 'l'), fc.nat(), name)), (rows) => {
        const { entries } = parseEntries(rows.map(([t, s, n]) => `${t} ${s}.0 ${n}`).join('\0'));
        for (const e of entries) expect(nameProblem(e.name)).toBeUndefined();
      }),
    );
  });
});

describe('the host commands', () => {
  it('are constant scripts with the path as an argument', () => {
    expect(quote(listEntries('/opt/x'))).toBe("find /opt/x -mindepth 1 -maxdepth 1 -printf '%y %T@ %f\\0'");
    expect(readRegularFile('/opt/x/a b.manifest.json', 1024).argv.slice(3)).toEqual(['sh', '/opt/x/a b.manifest.json', '1024']);
  });

  // Run here, as the host runs them: the same sh, find, stat and head.
  const run = (argv: readonly string[]) => spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });

  it('readRegularFile reads a small regular file, and refuses a link to /dev/zero, a FIFO and a large file at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smokestack-read-'));
    writeFileSync(join(dir, 'ok.json'), '{"a":1}\n');
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    symlinkSync(join(dir, 'ok.json'), join(dir, 'link.json'));
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    writeFileSync(join(dir, 'big.json'), 'x'.repeat(2048));
    mkdirSync(join(dir, 'dir.json'));
    expect(run(readRegularFile(join(dir, 'ok.json'), 1024).argv)).toMatchObject({ status: 0, stdout: '{"a":1}\n' });
    for (const [name, why] of [
      ['zero.json', 'a symbolic link'],
      ['link.json', 'a symbolic link'],
      ['fifo.json', 'not a regular file'],
      ['dir.json', 'not a regular file'],
      ['big.json', '2048 bytes, more than 1024'],
    ]) {
      const ran = run(readRegularFile(join(dir, name!), 1024).argv);
      expect([ran.status, ran.stdout, ran.stderr.trim()], name).toEqual([3, '', why]);
    }
  });

  it('listEntries lists a name with a newline as one entry, and a link as a link', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smokestack-list-'));
    writeFileSync(join(dir, 'x\n..\ny'), '');
    writeFileSync(join(dir, 'plain'), '');
    symlinkSync('/dev/zero', join(dir, 'zero'));
    const { entries, refused } = parseEntries(run(listEntries(dir).argv).stdout);
    expect(entries.map((e) => [e.type, e.name]).sort()).toEqual([
      ['f', 'plain'],
      ['l', 'zero'],
    ]);
    expect(refused).toEqual([{ name: '"x\\n..\\ny"', why: 'a name with ".."' }]);
  });
});

describe("the runner's store", () => {
  it('readStoreManifest reads a manifest, and refuses a link to /dev/zero, a FIFO, a large file and bytes that are not UTF-8 without reading them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smokestack-store-read-'));
    writeFileSync(join(dir, 'ok.json'), JSON.stringify(manifest()));
    symlinkSync('/dev/zero', join(dir, 'zero.json'));
    execFileSync('mkfifo', [join(dir, 'fifo.json')]);
    writeFileSync(join(dir, 'big.json'), Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20));
    writeFileSync(join(dir, 'latin1.json'), Buffer.from([0x7b, 0xe9, 0x7d]));
    expect(await readStoreManifest(join(dir, 'ok.json'))).toEqual({ text: JSON.stringify(manifest()) });
    expect(await readStoreManifest(join(dir, 'zero.json'))).toEqual({ why: 'a symbolic link' });
    expect(await readStoreManifest(join(dir, 'fifo.json'))).toEqual({ why: 'not a regular file' });
    expect(await readStoreManifest(join(dir, 'big.json'))).toEqual({ why: `${MAX_MANIFEST_BYTES + 1} bytes, more than ${MAX_MANIFEST_BYTES}` });
    expect(await readStoreManifest(join(dir, 'latin1.json'))).toEqual({ why: 'not UTF-8 text' });
    expect(await readStoreManifest(join(dir, 'missing.json'))).toEqual({ why: 'cannot be opened (ENOENT)' });
  });
});

describe('backups on the host alone count for nothing', () => {
  const policy = { ...DEFAULT_RETENTION, keepDaily: 7 };
  const real = (takenAt: number, validated?: boolean): RotationCandidate => ({ id: backupIdAt(takenAt), takenAt, ...(validated ? { validated } : {}) });

  it('a planted "newest" manifest neither pushes out the new backup nor is kept as the newest', () => {
    const store = [real(NOW - 10 * 60_000), real(NOW - DAY + HOUR)];
    const planted = [{ id: `${backupIdAt(NOW)}-planted` }, { id: backupIdAt(NOW - DAY + 2 * HOUR) }];
    const { candidates, hostOnly } = vouchedByStore([...store, ...planted], store);
    expect(hostOnly).toEqual(planted.map((p) => p.id));
    const onHost = rotate(candidates, policy, NOW);
    expect(onHost.remove).toEqual([]);
    expect(onHost.keep.find((k) => k.reasons.includes('newest'))?.id).toBe(store[0]!.id);
  });

  it('places host backups by the store\'s manifests: a host that rewrites when one was taken or validated changes nothing', () => {
    const store = [real(NOW - HOUR), real(NOW - 2 * HOUR, true)];
    const lying = [{ id: store[0]!.id, takenAt: NOW - 30 * DAY }, { id: store[1]!.id, takenAt: NOW, validated: false }];
    expect(vouchedByStore(lying, store).candidates).toEqual(store);
  });

  it('whatever the host plants, its decision is the one for the backups the store vouches for (property)', () => {
    // Whole seconds: an id names its second, and two backups in one second are one id.
    const when = fc.integer({ min: (NOW - 90 * DAY) / 1000, max: NOW / 1000 }).map((s) => s * 1000);
    fc.assert(
      fc.property(fc.uniqueArray(when, { maxLength: 20 }), fc.array(fc.tuple(when, fc.boolean()), { maxLength: 20 }), fc.func(fc.boolean()), (storeTimes, plantedTimes, onHostToo) => {
        const store = storeTimes.map((t) => real(t));
        const shared = store.filter((b) => onHostToo(b.id));
        const planted = plantedTimes.map(([t, v]) => ({ id: `${backupIdAt(t)}-planted`, takenAt: t, validated: v }));
        const { candidates, hostOnly } = vouchedByStore([...planted, ...shared], store);
        expect(hostOnly.sort()).toEqual(planted.map((p) => p.id).sort());
        const decision = rotate(candidates, policy, NOW);
        expect(decision).toEqual(rotate(shared, policy, NOW));
        for (const id of decision.remove) expect(store.some((b) => b.id === id)).toBe(true);
      }),
    );
  });

  it('`backups ENV` shows each backup as the store has it, one on the host alone as such, and the refused with why', () => {
    const inStore = manifest(NOW - HOUR);
    const hostWord = { ...inStore, validated: { at: NOW, ok: false, detail: 'the host says so' } };
    const hostOnly = manifest(NOW - 10 * 60_000, { validated: undefined });
    const refused = [{ copy: 'host' as const, name: '"2027-12-08T12-00-00Z.manifest.json"', why: 'its id\'s time is 2027-12-08T12:00:00.000Z, in the future' }];
    const listing = inventoryOf({ host: [hostOnly, hostWord], store: [inStore], refused }, DEFAULT_RETENTION, NOW);
    expect(listing.backups.map((b) => [b.manifest.id, b.copies, b.keptBy])).toEqual([
      [hostOnly.id, ['host'], [HOST_ONLY]],
      [inStore.id, ['host', 'store'], expect.arrayContaining(['newest', 'last validated'])],
    ]);
    expect(listing.backups[1]!.manifest).toBe(inStore);
    expect(listing.refused).toEqual(refused);
  });
});
