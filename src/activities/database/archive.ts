// Reads a mongodump archive (gzipped, as the backups write them) without a
// server: its header (server and tool versions), each collection's metadata
// (its indexes) and every document, counted and hashed. The format is
// mongo-tools' common/archive/spec.md: a magic number, a header document,
// collection metadata documents, a terminator, then segments of documents,
// each after a namespace header and ended by a terminator, and one EOF
// header per collection.
//
// The content hash is the one databaseState computes from a live server,
// so an archive and the database restored from it can be compared document
// for document without a dbHash (FerretDB has none).
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { BSON } from 'mongodb';
import type { ArchiveContent, IndexSpec } from '../../workflows/types.ts';
import { failure } from '../../workflows/failures.ts';
import { ContentHash } from './content-hash.ts';

const MAGIC = 0x8199e26d;
const TERMINATOR = 0xffffffff;
/** BSON's own limit is 16 MiB; mongodump's headers and documents are never larger. A bigger length is damage. */
const MAX_DOCUMENT = 16 * 1024 * 1024 + 16 * 1024;

type State = 'magic' | 'header' | 'prelude' | 'namespace' | 'eof' | 'documents';

interface Collection {
  namespace: string;
  indexes: IndexSpec[];
  /** Uncompressed size of its documents, as mongodump's metadata says. */
  bytes: number;
  documents: number;
  hash: ContentHash;
  ended: boolean;
}

/** The archive file, gunzipped and read through. A gzip stream cut short or altered is damage too. */
export async function readArchiveFile(path: string): Promise<ArchiveContent> {
  const gunzip = createGunzip();
  const read = createReadStream(path);
  read.on('error', (err) => gunzip.destroy(err));
  try {
    return await readArchive(read.pipe(gunzip));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_')) throw failure('BackupCorrupt', `the archive is damaged: gzip says ${(err as Error).message}`);
    throw err;
  }
}

export async function readArchive(chunks: AsyncIterable<Buffer>): Promise<ArchiveContent> {
  const collections = new Map<string, Collection>();
  let header: Record<string, unknown> = {};
  let state: State = 'magic';
  let current: Collection | undefined;
  let pending: Buffer = Buffer.alloc(0);

  const damaged = (why: string) => failure('BackupCorrupt', `the archive is damaged: ${why}`);
  const collectionOf = (doc: Record<string, unknown>): Collection => {
    const namespace = `${String(doc.db)}.${String(doc.collection)}`;
    let found = collections.get(namespace);
    if (!found) {
      found = { namespace, indexes: [], bytes: 0, documents: 0, hash: new ContentHash(), ended: false };
      collections.set(namespace, found);
    }
    return found;
  };

  /** One item: a terminator (null) or a document's bytes. */
  const onItem = (item: Buffer | null) => {
    switch (state) {
      case 'header':
        if (!item) throw damaged('a terminator where the header belongs');
        header = BSON.deserialize(item);
        state = 'prelude';
        return;
      case 'prelude':
        if (!item) {
          state = 'namespace';
          return;
        }
        {
          const metadata = BSON.deserialize(item);
          const collection = collectionOf(metadata);
          collection.indexes = indexesIn(metadata.metadata);
          collection.bytes = Number(metadata.size ?? 0);
        }
        return;
      case 'namespace': {
        if (!item) throw damaged('a terminator where a namespace header belongs');
        const ns = BSON.deserialize(item);
        current = collectionOf(ns);
        if (ns.EOF === true) {
          current.ended = true;
          state = 'eof';
        } else state = 'documents';
        return;
      }
      case 'eof':
        if (item) throw damaged(`a document after the end of ${current?.namespace}`);
        state = 'namespace';
        return;
      case 'documents':
        if (!item) {
          state = 'namespace';
          return;
        }
        current!.documents++;
        current!.hash.add(item);
        return;
      default:
        throw damaged(`unexpected state ${state}`);
    }
  };

  for await (const chunk of chunks) {
    pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (state === 'magic') {
        if (pending.length - at < 4) break;
        if (pending.readUInt32LE(at) !== MAGIC) throw damaged('it does not start with mongodump\'s magic number');
        at += 4;
        state = 'header';
        continue;
      }
      if (pending.length - at < 4) break;
      const length = pending.readUInt32LE(at);
      if (length === TERMINATOR) {
        at += 4;
        onItem(null);
        continue;
      }
      if (length < 5 || length > MAX_DOCUMENT) throw damaged(`a document of ${length} bytes`);
      if (pending.length - at < length) break;
      onItem(pending.subarray(at, at + length));
      at += length;
    }
    pending = pending.subarray(at);
  }

  if (state === 'magic' || state === 'header') throw damaged('it ends before its header');
  if (pending.length > 0 || state !== 'namespace') throw damaged('it ends in the middle of a document');
  const unfinished = [...collections.values()].filter((c) => !c.ended);
  if (unfinished.length > 0) throw damaged(`it ends before the end of ${unfinished.map((c) => c.namespace).join(', ')}`);

  return {
    serverVersion: String(header.server_version ?? 'unknown'),
    toolVersion: String(header.tool_version ?? 'unknown'),
    collections: [...collections.values()]
      .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0))
      .map((c) => ({ namespace: c.namespace, documents: c.documents, bytes: c.bytes, sha256: c.hash.digest(), indexes: c.indexes })),
  };
}

/** The index specs in a collection's metadata (canonical Extended JSON), as createIndexes takes them. */
function indexesIn(metadata: unknown): IndexSpec[] {
  if (typeof metadata !== 'string' || metadata === '') return [];
  const parsed = BSON.EJSON.parse(metadata, { relaxed: true }) as { indexes?: (IndexSpec & { v?: unknown; ns?: unknown })[] };
  return (parsed.indexes ?? []).map(({ v: _v, ns: _ns, ...spec }) => spec as IndexSpec).sort((a, b) => (a.name < b.name ? -1 : 1));
}
