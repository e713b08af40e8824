// A backup's manifest, read from a host or from the runner's store, is
// input: whoever can write on that host (or into the store) wrote it. It is
// read capped in bytes, never through a symbolic link, and parsed against
// the schema below before anything uses it: its id must be an id smokestack
// makes, its archive that id's, its numbers and times plausible, and no
// time in the future. A manifest that fails is refused, with why, and
// never used. Fields the schema does not know are dropped.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import type { RemoteHost } from '../../ssh/executor.ts';
import { readRegularFile } from '../../commands/files.ts';
import { BACKUP_ID, backupIdTime } from '../../workflows/backup-id.ts';
import type { BackupManifest } from '../../workflows/types.ts';
import { BACKUP_SUFFIX } from '../host/layout.ts';
import { shownName } from '../host/names.ts';

/** A manifest is a few KiB (a few hundred collections' counts and indexes); a MiB is plenty. */
export const MAX_MANIFEST_BYTES = 2 ** 20;
/** How far a clock may run ahead of the worker's before a time it wrote is "in the future". */
export const CLOCK_SKEW_MS = 60_000;
/** Before smokestack existed: an earlier time is no backup of ours. */
const EARLIEST = Date.UTC(2020, 0, 1);
/** Deeper JSON than any manifest has (an index's partialFilterExpression included). */
const MAX_DEPTH = 32;

// One line of text: no control characters, no bytes that were not UTF-8.
const ONE_LINE = /^[^\u0000-\u001f\u007f-\u009f\ufffd]*$/;
// A report (a validation's detail): lines and tabs, nothing else below space.
const LINES = /^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]*$/;
const MAX_DETAIL = 64 * 1024;
const line = (max: number) => z.string().max(max).regex(ONE_LINE, 'must be one line of printable text');
const time = z.number().int().min(EARLIEST, 'must be a time after 2020');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');
const namespace = line(512).regex(/^[^.]+\../, 'must be a namespace: database.collection');
const run = z.object({ workflowId: line(1000), runId: line(200) });
const indexSpec = z
  .object({ name: line(1024).min(1), key: z.record(line(1024), z.unknown()) })
  .catchall(z.unknown())
  .refine((spec) => Object.keys(spec.key).length > 0, 'an index must have a key');

export const manifestSchema = z.object({
  id: z.string().regex(BACKUP_ID, 'is not a backup id (e.g. 2026-11-28T02-00-00Z)'),
  environment: line(100),
  takenAt: time,
  trigger: z.enum(['manual', 'schedule', 'safety', 'migration']),
  consistency: z.enum(['online', 'quiesce']),
  archive: line(255),
  sha256,
  // A dump of an empty database is still some bytes; 2^50 (a PiB) is more than any Pi's disk.
  bytes: z.number().int().min(1).max(2 ** 50),
  collections: z.array(z.object({ namespace, documents: count })).max(10_000),
  indexes: z.array(z.object({ namespace, specs: z.array(indexSpec).max(64) })).max(10_000).optional(),
  tools: z.object({ mongodump: line(200) }),
  content: z
    .object({
      serverVersion: line(200),
      toolVersion: line(200),
      collections: z.array(z.object({ namespace, documents: count, bytes: count, sha256, indexes: z.array(indexSpec).max(64) })).max(10_000),
    })
    .optional(),
  run,
  validated: z
    .object({ at: time, ok: z.boolean(), detail: z.string().max(MAX_DETAIL).regex(LINES, 'must be printable text'), run: run.optional() })
    .optional(),
});

/** What a manifest must agree with besides itself: the worker's clock, the environment whose backups it is among, its file's name. */
export interface ManifestContext {
  now: number;
  environment: string;
  /** The id its file name says (`<id>.manifest.json`), when it was read from a file. */
  id?: string;
}

export type ManifestVerdict = { ok: true; manifest: BackupManifest } | { ok: false; why: string };

/** The text of a manifest, parsed and checked. */
export function parseManifest(text: string, context: ManifestContext): ManifestVerdict {
  if (Buffer.byteLength(text) > MAX_MANIFEST_BYTES) return { ok: false, why: `larger than ${MAX_MANIFEST_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // V8 quotes the text in its message: masked, it is the file's writer's.
    return { ok: false, why: `not JSON (${(err as Error).message.slice(0, 100).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')})` };
  }
  return checkManifest(value, context);
}

/** A manifest already parsed (or one about to be written): checked as parseManifest checks one. */
export function checkManifest(value: unknown, context: ManifestContext): ManifestVerdict {
  if (depthOf(value) > MAX_DEPTH) return { ok: false, why: `nested deeper than ${MAX_DEPTH} levels` };
  if (hasUnsafeKey(value)) return { ok: false, why: 'a key named __proto__, constructor or prototype' };
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const id = (value as { id?: unknown } | null)?.id;
    const where = (path: PropertyKey[]) => (path.length === 1 && path[0] === 'id' && typeof id === 'string' ? `id ${shownName(id)}` : path.join('.') || 'the manifest');
    const issues = parsed.error.issues.slice(0, 3).map((i) => `${where(i.path)}: ${i.message}`);
    return { ok: false, why: issues.join('; ') + (parsed.error.issues.length > 3 ? `; and ${parsed.error.issues.length - 3} more` : '') };
  }
  const m = parsed.data as BackupManifest;
  const why = disagreement(m, context);
  return why ? { ok: false, why } : { ok: true, manifest: m };
}

function disagreement(m: BackupManifest, { now, environment, id }: ManifestContext): string | undefined {
  const latest = now + CLOCK_SKEW_MS;
  const idTime = backupIdTime(m.id);
  if (idTime === undefined) return `id ${shownName(m.id)} names no real time`;
  if (id !== undefined && m.id !== id) return `its file is ${shownName(id)}'s, but it says it is ${shownName(m.id)}`;
  if (m.archive !== `${m.id}${BACKUP_SUFFIX}`) return `its archive ${shownName(m.archive)} is not ${m.id}${BACKUP_SUFFIX}`;
  if (m.environment !== environment) return `it is a backup of ${shownName(m.environment)}, found among ${environment}'s`;
  const future = (at: number) => `${new Date(at).toISOString()}, in the future (the worker's clock says ${new Date(now).toISOString()})`;
  if (idTime > latest) return `its id's time is ${future(idTime)}`;
  if (m.takenAt > latest) return `taken at ${future(m.takenAt)}`;
  if (m.validated && m.validated.at > latest) return `validated at ${future(m.validated.at)}`;
  return undefined;
}

/**
 * A validation's detail as a manifest may hold it: it quotes tools' output
 * (mongorestore's stderr), so what the schema refuses there is masked and
 * a detail too long is cut, rather than the verdict lost.
 */
export function printableDetail(detail: string): string {
  const masked = detail.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffd]/g, '?');
  return masked.length > MAX_DETAIL ? `${masked.slice(0, MAX_DETAIL - 1)}…` : masked;
}

/** How deep a JSON value nests; iterative, so no value can overflow the stack. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [v, depth] = pending.pop()!;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(v)) pending.push([child, depth + 1]);
  }
  return deepest;
}

// JSON.parse makes "__proto__" an own key; copied into a new object by
// assignment it would set that object's prototype instead.
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function hasUnsafeKey(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (v === null || typeof v !== 'object') continue;
    for (const key of Object.keys(v)) {
      if (UNSAFE_KEYS.has(key)) return true;
      pending.push((v as Record<string, unknown>)[key]);
    }
  }
  return false;
}

export type ManifestRead = { text: string } | { why: string };

/**
 * A manifest file in the runner's store: opened without following a
 * symbolic link and without blocking on a FIFO, refused unless it is a
 * regular file of at most MAX_MANIFEST_BYTES, and read no further than that.
 */
export async function readStoreManifest(path: string): Promise<ManifestRead> {
  let file;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { why: code === 'ELOOP' ? 'a symbolic link' : `cannot be opened (${code ?? (err as Error).message})` };
  }
  try {
    const stats = await file.stat();
    if (!stats.isFile()) return { why: 'not a regular file' };
    if (stats.size > MAX_MANIFEST_BYTES) return { why: `${stats.size} bytes, more than ${MAX_MANIFEST_BYTES}` };
    const buffer = Buffer.alloc(MAX_MANIFEST_BYTES + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await file.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > MAX_MANIFEST_BYTES) return { why: `more than ${MAX_MANIFEST_BYTES} bytes` };
    }
    return decoded(buffer.subarray(0, length));
  } finally {
    await file.close();
  }
}

/** A manifest file on a host, read by a command that refuses links, other kinds of file, and more than MAX_MANIFEST_BYTES. */
export async function readHostManifest(host: RemoteHost, path: string): Promise<ManifestRead> {
  const ran = await host.run(readRegularFile(path, MAX_MANIFEST_BYTES));
  // The host's own words: one line, its control characters made harmless.
  if (ran.code === 3) return { why: ran.stderr.trim().split('\n')[0]!.slice(0, 200).replace(/[\u0000-\u001f\u007f-\u009f]/g, '?') || 'refused by the host' };
  if (ran.code !== 0) return { why: `cannot be read (exit ${ran.code})` };
  if (Buffer.byteLength(ran.stdout) > MAX_MANIFEST_BYTES) return { why: `more than ${MAX_MANIFEST_BYTES} bytes` };
  return { text: ran.stdout };
}

function decoded(bytes: Buffer): ManifestRead {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { why: 'not UTF-8 text' };
  }
}
