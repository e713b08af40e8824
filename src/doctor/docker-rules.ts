// Which Docker Engine and Compose a host needs, as a table of rules: each
// names a combination known to break (or to be about to) and what to do.
// Pure, so the unit tests walk every row without a host.
import { fail, warn, type CheckLine } from './lines.ts';

/** What a host said about its Docker, and what its stack's compose files ask of it. */
export interface DockerFacts {
  /** `docker version --format {{.Server.Version}}`, e.g. "20.10.24+dfsg1"; absent when Docker did not answer. */
  engine?: string;
  /** `docker compose version --short` (the v2 plugin), e.g. "2.40.3"; absent when there is none. */
  composeV2?: string;
  /** `docker-compose version --short` (v1), e.g. "1.29.2"; only asked for when there is no v2. */
  composeV1?: string;
  /** The environment's compose files that set `healthcheck.start_interval`. */
  startIntervalFiles: string[];
}

type Version = [number, number, number];

/** "v2.40.3", "20.10.24+dfsg1", "25.0" -> [major, minor, patch]; undefined when it is not a version. */
export function parseVersion(text: string): Version | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Whether `text` is a version below `floor`; an unreadable version is not judged below anything. */
export function below(text: string | undefined, floor: string): boolean {
  const v = text === undefined ? undefined : parseVersion(text);
  const f = parseVersion(floor)!;
  if (!v) return false;
  for (let i = 0; i < 3; i++) if (v[i] !== f[i]) return v[i]! < f[i]!;
  return false;
}

interface Rule {
  /** Why the rule exists, for the tests' names. */
  id: string;
  applies(facts: DockerFacts): boolean;
  finding(facts: DockerFacts): Omit<CheckLine, 'name'>;
}

const usesStartInterval = (f: DockerFacts) => f.startIntervalFiles.length > 0;
const v1Only = (f: DockerFacts) => f.composeV2 === undefined && f.composeV1 !== undefined;
const files = (f: DockerFacts) => f.startIntervalFiles.join(', ');

export const DOCKER_RULES: readonly Rule[] = [
  {
    id: 'no engine',
    applies: (f) => f.engine === undefined,
    finding: () => fail('', 'Docker Engine does not answer (`docker version` failed): install it, or let the SSH user run docker'),
  },
  {
    id: 'no compose',
    applies: (f) => f.composeV2 === undefined && f.composeV1 === undefined,
    finding: () => fail('', 'neither `docker compose` (v2) nor `docker-compose` (v1) works: install the docker-compose-plugin package'),
  },
  // healthcheck.start_interval is Engine API 1.44, first in Docker Engine 25.0
  // (docs.docker.com/reference/dockerfile/#healthcheck: "--start-interval ...
  // requires Docker Engine version 25.0 or later"); Compose refuses to create
  // such a container on an older engine, so the deploy would fail at `up`.
  {
    id: 'start_interval needs Engine 25',
    applies: (f) => usesStartInterval(f) && below(f.engine, '25.0.0'),
    finding: (f) => fail('', `Docker Engine ${f.engine} is older than 25.0, which ${files(f)} needs (healthcheck.start_interval): upgrade Docker Engine`),
  },
  // Compose v1's file schema has no start_interval: `docker-compose config`
  // 1.29.2 says "services.X.healthcheck value 'start_interval' does not match
  // any of the regexes: '^x-'" (tried on the lab's bookworm hosts).
  {
    id: 'start_interval unknown to Compose v1',
    applies: (f) => usesStartInterval(f) && v1Only(f),
    finding: (f) => fail('', `only Compose v1 (${f.composeV1}), which refuses ${files(f)} (healthcheck.start_interval): install the docker-compose-plugin package`),
  },
  // start_interval entered the Compose file format in July 2023
  // (compose-spec/compose-go#437, Compose 2.20); older v2 refuses the file.
  {
    id: 'start_interval unknown to Compose before 2.20',
    applies: (f) => usesStartInterval(f) && below(f.composeV2, '2.20.0'),
    finding: (f) => fail('', `Compose ${f.composeV2} is older than 2.20 and refuses ${files(f)} (healthcheck.start_interval): upgrade the docker-compose-plugin package`),
  },
  // 2.20 to 2.23 read start_interval but do not pass it to the engine
  // (docker/compose#10830); docker/compose#10939 passes it, and v2.24.1's
  // release notes: "fix engine version require to use healthcheck.start_interval" (#11360).
  {
    id: 'start_interval dropped by Compose before 2.24.1',
    applies: (f) => usesStartInterval(f) && !below(f.composeV2, '2.20.0') && below(f.composeV2, '2.24.1'),
    finding: (f) => warn('', `Compose ${f.composeV2} ignores healthcheck.start_interval in ${files(f)} (passed on from 2.24.1): health checks start slowly; upgrade the docker-compose-plugin package`),
  },
  // Docker's docs: "Effective July 2023, Compose V1 stopped receiving updates"
  // (docs.docker.com/compose/releases/migrate/).
  {
    id: 'Compose v1 only',
    applies: v1Only,
    finding: (f) => warn('', `only Compose v1 (${f.composeV1}), unmaintained since July 2023: install the docker-compose-plugin package`),
  },
  // The Compose file reference marks features as needing 2.20: depends_on's
  // `required` ("introduced in Docker Compose version 2.20.0") and `include`
  // ("requires Docker Compose 2.20.3 and later").
  {
    id: 'Compose before 2.20',
    applies: (f) => !usesStartInterval(f) && below(f.composeV2, '2.20.0'),
    finding: (f) => warn('', `Compose ${f.composeV2} is older than 2.20, which current Compose files may need (depends_on.required, include): upgrade the docker-compose-plugin package`),
  },
];

/** Every rule a host's facts break, in table order. */
export function dockerFindings(facts: DockerFacts): Omit<CheckLine, 'name'>[] {
  return DOCKER_RULES.filter((r) => r.applies(facts)).map((r) => r.finding(facts));
}

/** What the host runs, as one short phrase: "Engine 26.1.5, Compose 2.40.3". */
export function describeDocker(facts: DockerFacts): string {
  const engine = facts.engine === undefined ? 'no Engine' : `Engine ${facts.engine}`;
  const compose = facts.composeV2 !== undefined ? `Compose ${facts.composeV2}` : facts.composeV1 !== undefined ? `Compose v1 ${facts.composeV1}` : 'no Compose';
  return `${engine}, ${compose}`;
}
