// The archive reader against a real mongodump archive: what it finds
// without a server must equal what the server said, and any damage to the
// file must be reported as damage, never read as a smaller backup.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readArchiveFile } from '../../src/activities/database/archive.ts';
import { ContentHash } from '../../src/activities/database/content-hash.ts';

const FIXTURE = join(import.meta.dirname, '../fixtures/mongodump/smartsmoker.archive.gz');
const expected = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/mongodump/expected.json'), 'utf8')) as {
  serverVersion: string;
  collections: { namespace: string; documents: number; sha256: string; indexes: string[] }[];
};
const dir = mkdtempSync(join(tmpdir(), 'archive-test-'));
const variant = (name: string, bytes: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

describe('readArchiveFile', () => {
  it('finds the counts, indexes and content hashes the server reported, and the versions mongodump recorded', async () => {
    const content = await readArchiveFile(FIXTURE);
    expect(content.serverVersion).toBe(expected.serverVersion);
    expect(content.collections.map((c) => ({ namespace: c.namespace, documents: c.documents, sha256: c.sha256, indexes: c.indexes.map((i) => i.name) }))).toEqual(expected.collections);
    const unique = content.collections.find((c) => c.namespace === 'smartsmoker.cooks')!.indexes.find((i) => i.name === 'n_unique');
    expect(unique).toEqual({ name: 'n_unique', key: { n: 1 }, unique: true });
  });

  it('a truncated file, a flipped byte, or a file that is not an archive is damage', async () => {
    const good = readFileSync(FIXTURE);
    const flipped = Buffer.from(good);
    flipped[Math.floor(flipped.length / 2)]! ^= 0x01;
    await expect(readArchiveFile(variant('truncated.gz', good.subarray(0, good.length - 64)))).rejects.toThrow(/the archive is damaged/);
    await expect(readArchiveFile(variant('flipped.gz', flipped))).rejects.toThrow(/the archive is damaged/);
    await expect(readArchiveFile(variant('not-an-archive.gz', gzipSync(Buffer.from('hello, not an archive'))))).rejects.toThrow(/magic number/);
  });

  it('an archive cut at a segment boundary (valid gzip, valid documents) is still caught: a collection never ended', async () => {
    const raw = gunzipSync(readFileSync(FIXTURE));
    // The last items are the final collection's EOF header and its terminator: drop both.
    const cut = raw.subarray(0, lastSegmentStart(raw));
    await expect(readArchiveFile(variant('cut.gz', gzipSync(cut)))).rejects.toThrow(/ends before the end of/);
  });
});

describe('ContentHash', () => {
  it('is order-free, and a changed, missing or duplicated document changes it', () => {
    const docs = ['a', 'b', 'c'].map((s) => Buffer.from(s));
    const of = (list: Buffer[]) => list.reduce((h, d) => (h.add(d), h), new ContentHash()).digest();
    expect(of(docs)).toBe(of([...docs].reverse()));
    expect(of(docs)).toMatch(/^[0-9a-f]{64}$/);
    expect(of(docs.slice(1))).not.toBe(of(docs));
    expect(of([...docs, docs[0]!])).not.toBe(of(docs));
    expect(of([Buffer.from('a'), Buffer.from('b'), Buffer.from('d')])).not.toBe(of(docs));
  });
});

/** Where the archive's final EOF header starts: walking the whole archive item by item. */
function lastSegmentStart(raw: Buffer): number {
  let at = 4;
  let last = at;
  while (at < raw.length) {
    const length = raw.readUInt32LE(at);
    if (length === 0xffffffff) {
      at += 4;
      continue;
    }
    last = at;
    at += length;
  }
  return last;
}
