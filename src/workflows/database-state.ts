// What a database should hold after a backup is restored, and how it is
// compared with what was read back. Pure: the restore and validation
// runbooks decide with it, and the activities sign indexes with it, so
// both sides describe an index the same way.
import type { BackupManifest, DatabaseState, IndexSpec } from './types.ts';

/** Databases MongoDB keeps for itself: never dropped, restored or compared. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(['admin', 'config', 'local']);

const isApplication = (namespace: string): boolean => !SYSTEM_DATABASES.has(namespace.slice(0, namespace.indexOf('.')));

/** The backup a restore or validation takes when none is named: the newest that is not a safety backup (else the newest). */
export const defaultBackup = (newestFirst: readonly BackupManifest[]): BackupManifest | undefined => newestFirst.find((m) => m.trigger !== 'safety') ?? newestFirst[0];

/** "name {key}[ unique]": what must match for an index to count as the same one. */
export const indexSignature = (spec: IndexSpec): string => `${spec.name} ${JSON.stringify(spec.key)}${spec.unique ? ' unique' : ''}`;

/**
 * Every way the state read back differs from the backup: a count, a content
 * hash (when the manifest has the archive's own), an index, a collection
 * missing or one the backup never had. Empty when they agree.
 */
export function differencesFrom(backup: BackupManifest, state: DatabaseState): string[] {
  const found = new Map(state.collections.map((c) => [c.namespace, c]));
  const hashes = new Map((backup.content?.collections ?? []).map((c) => [c.namespace, c.sha256]));
  const indexes = new Map((backup.indexes ?? []).map((c) => [c.namespace, c.specs.map(indexSignature).sort()]));
  const expected = backup.collections.filter((c) => isApplication(c.namespace));
  const differences: string[] = [];
  for (const { namespace, documents } of expected) {
    const got = found.get(namespace);
    if (!got) {
      if (documents > 0) differences.push(`${namespace}: missing, the backup has ${documents} documents`);
      continue;
    }
    if (got.documents !== documents) differences.push(`${namespace}: ${got.documents} documents, the backup has ${documents}`);
    const hash = hashes.get(namespace);
    if (hash && got.sha256 !== hash) differences.push(`${namespace}: content hash ${got.sha256.slice(0, 12)}, the backup's ${hash.slice(0, 12)}`);
    const wanted = indexes.get(namespace);
    if (wanted && wanted.join('|') !== got.indexes.join('|')) differences.push(`${namespace}: indexes [${got.indexes.join(', ')}], the backup's [${wanted.join(', ')}]`);
  }
  for (const c of state.collections) {
    if (c.documents > 0 && !expected.some((e) => e.namespace === c.namespace)) differences.push(`${c.namespace}: ${c.documents} documents, not in the backup`);
  }
  return differences;
}
