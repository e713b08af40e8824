// What a migration's preflight judges, from facts read on both ends. Pure
// and workflow-safe: the same rules in the workflow and in the unit tests.
import type { DatabaseFacts } from './types.ts';

/** The oldest server a source may run: the seed's Phase 0 upgrades to MongoDB 7 before anything moves. */
export const MINIMUM_SOURCE_VERSION = [7, 0] as const;

/** The target needs room for the archive and the restored data, twice the source's documents. */
export const DISK_FACTOR = 2;

const majorMinor = (version: string): [number, number] => {
  const [major, minor] = version.split('.').map((p) => Number.parseInt(p, 10));
  return [Number.isFinite(major) ? major! : 0, Number.isFinite(minor) ? minor! : 0];
};

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * Every reason the move cannot start, each saying what to do first; empty
 * when it may. A source (or a target) anyone can read without a login is
 * refused: the seed secures the database before it moves it.
 */
export function preflightProblems(source: DatabaseFacts, target: DatabaseFacts): string[] {
  const problems: string[] = [];
  const [major, minor] = majorMinor(source.version);
  const [minMajor, minMinor] = MINIMUM_SOURCE_VERSION;
  if (major < minMajor || (major === minMajor && minor < minMinor)) {
    problems.push(`${source.environment} runs MongoDB ${source.version}: upgrade it to ${minMajor}.${minMinor} or later first (mongo:7 in its compose file, then a deploy), and migrate after`);
  }
  for (const end of [source, target]) {
    if (!end.authenticationRequired) {
      problems.push(
        `${end.environment}'s database lets a client with no login list its databases: turn authentication on first (MONGO_INITDB_ROOT_USERNAME/PASSWORD on a fresh volume, then \`smokestack db users ${end.environment}\`)`,
      );
    }
  }
  const [tMajor, tMinor] = majorMinor(target.version);
  if (tMajor !== major || tMinor !== minor) {
    problems.push(`the versions differ: ${source.environment} runs ${source.version}, ${target.environment} ${target.version}; bring them to the same major.minor first, so the archive restores into what it was dumped from`);
  }
  const needed = DISK_FACTOR * source.dataBytes;
  if (target.freeBytes < needed) {
    problems.push(`${target.environment} has ${mib(target.freeBytes)} free where its backups live, the move needs ${DISK_FACTOR} × ${source.environment}'s ${mib(source.dataBytes)} of documents = ${mib(needed)}: free some disk first`);
  }
  return problems;
}

export const describeFacts = (f: DatabaseFacts): string =>
  `${f.environment}: MongoDB ${f.version}, authentication ${f.authenticationRequired ? 'on' : 'OFF'}, ${mib(f.dataBytes)} of documents, ${mib(f.freeBytes)} free`;

/** "12 min 5 s": the downtime as people read it. */
export function describeSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m} min ${s % 60} s` : `${s} s`;
}
