// The release candidate (src/workflows/candidate.ts): what the dev
// environments run now, by digest, and every reason dev is not releasable.
// Pure: built from what the promotion's activities would have read.
import { describe, expect, it } from 'vitest';
import { candidateFrom, devProblem } from '../../src/workflows/candidate.ts';
import type { LastDeploy, RunningStack, ServiceImage } from '../../src/workflows/types.ts';
import { failureOf } from '../support/failures.ts';

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const BACKEND = 'benjr70/smart-smoker-backend';
const FRONTEND = 'benjr70/smart-smoker-frontend';
const DEVICE = 'benjr70/smart-smoker-device-service';
const PLAN = { repositories: [BACKEND, FRONTEND, DEVICE] };

const image = (service: string, ref: string, digest: string | null): ServiceImage => ({
  service,
  image: ref,
  digest: digest === null ? null : `${ref.replace(/:[^:/]*$/, '')}@${digest}`,
  imageId: `sha256:id-of-${service}`,
});

/** dev-cloud: backend, frontend, mongo; the virtual smoker: device service, frontend, watchtower. */
const CLOUD_IMAGES = [
  image('backend', `${BACKEND}:nightly`, sha('a')),
  image('frontend', `${FRONTEND}:nightly`, sha('b')),
  image('mongo', 'mongo:7.0', sha('c')),
];
const SMOKER_IMAGES = [
  image('device-service', `docker.io/${DEVICE}:nightly`, sha('d')),
  image('frontend', `${FRONTEND}:nightly`, sha('b')),
  image('watchtower', 'containrrr/watchtower:latest', sha('e')),
];

const running = (environment: string, images: ServiceImage[], over: Partial<RunningStack> = {}): RunningStack => ({
  environment,
  version: 'nightly',
  images,
  healthy: true,
  ...over,
});
const recorded = (stack: RunningStack, over: Partial<LastDeploy> = {}): LastDeploy => ({
  environment: stack.environment,
  outcome: 'succeeded',
  version: stack.version ?? undefined,
  services: stack.images,
  ...over,
});

const CLOUD = running('dev-cloud', CLOUD_IMAGES);
const SMOKER = running('virtual-smoker', SMOKER_IMAGES);

/** The refusal of a candidate from these stacks and records. */
function refused(stacks: RunningStack[], records: LastDeploy[]): string {
  const f = failureOf(() => candidateFrom(PLAN, stacks, records));
  expect(f.type).toBe('CandidateRefused');
  expect(f.nonRetryable).toBe(true);
  return f.message;
}

describe('candidateFrom', () => {
  it('takes the digests of the release repositories from a healthy, agreeing dev', () => {
    const { candidate, unresolved } = candidateFrom(PLAN, [CLOUD, SMOKER], [recorded(CLOUD), recorded(SMOKER)]);
    expect(candidate).toEqual({
      sourceVersion: 'nightly',
      images: [
        { repository: BACKEND, digest: sha('a'), from: 'dev-cloud' },
        { repository: FRONTEND, digest: sha('b'), from: 'dev-cloud' },
        // docker.io/ is the same repository as the plan's name.
        { repository: DEVICE, digest: sha('d'), from: 'virtual-smoker' },
      ],
    });
    // mongo and watchtower run on dev but are not the release's.
    expect(candidate.images.map((i) => i.repository)).not.toContain('mongo');
    expect(candidate.images.map((i) => i.repository)).not.toContain('containrrr/watchtower');
    expect(unresolved).toEqual([]);
  });

  it('lists the release repositories no dev environment runs as unresolved', () => {
    const { candidate, unresolved } = candidateFrom(PLAN, [CLOUD], [recorded(CLOUD)]);
    expect(candidate.images.map((i) => i.repository)).toEqual([BACKEND, FRONTEND]);
    expect(unresolved).toEqual([DEVICE]);
  });

  it('finds each environment its own record, whatever the order', () => {
    const { candidate } = candidateFrom(PLAN, [SMOKER, CLOUD], [recorded(CLOUD), recorded(SMOKER)]);
    expect(candidate.images.find((i) => i.repository === FRONTEND)?.from).toBe('virtual-smoker');
  });

  it('refuses an environment unhealthy now, naming it and what is wrong', () => {
    const sick = running('dev-cloud', CLOUD_IMAGES, { healthy: false, problems: 'backend (unhealthy)' });
    expect(refused([sick, SMOKER], [recorded(sick), recorded(SMOKER)])).toBe(
      'dev is not releasable: dev-cloud fails its health check now: backend (unhealthy)',
    );
  });

  it('refuses an environment with no recorded deploy', () => {
    expect(refused([CLOUD, SMOKER], [recorded(CLOUD)])).toBe('dev is not releasable: virtual-smoker has no recorded deploy');
    expect(refused([CLOUD, SMOKER], [recorded(CLOUD), recorded(SMOKER, { outcome: 'none' })])).toBe(
      'dev is not releasable: virtual-smoker has no recorded deploy',
    );
  });

  it('refuses while a deploy to an environment is running', () => {
    expect(refused([CLOUD, SMOKER], [recorded(CLOUD, { outcome: 'running' }), recorded(SMOKER)])).toBe(
      'dev is not releasable: a deploy to dev-cloud is running',
    );
  });

  it.each(['rolled-back', 'rollback-failed', 'failed', 'unknown'] as const)('refuses when the last deploy ended %s', (outcome) => {
    expect(refused([CLOUD, SMOKER], [recorded(CLOUD), recorded(SMOKER, { outcome })])).toBe(
      `dev is not releasable: the last deploy to virtual-smoker ended ${outcome}`,
    );
  });

  it('refuses when the .env VERSION is not the recorded one', () => {
    const edited = running('dev-cloud', CLOUD_IMAGES, { version: 'v9' });
    expect(refused([edited, SMOKER], [recorded(CLOUD), recorded(SMOKER)])).toBe(
      'dev is not releasable: dev-cloud runs VERSION=v9, but its last deploy was nightly',
    );
    const gone = running('dev-cloud', CLOUD_IMAGES, { version: null });
    expect(refused([gone, SMOKER], [recorded(CLOUD), recorded(SMOKER)])).toMatch(/dev-cloud runs VERSION=none, but its last deploy was nightly/);
  });

  it('refuses a container that is not what the last deploy started (drift), naming it and its digest', () => {
    const pulledSince = running('virtual-smoker', [SMOKER_IMAGES[0]!, image('frontend', `${FRONTEND}:nightly`, sha('f')), SMOKER_IMAGES[2]!]);
    expect(refused([CLOUD, pulledSince], [recorded(CLOUD), recorded(SMOKER)])).toBe(
      `dev is not releasable: virtual-smoker's containers are not what its last deploy started: frontend runs ${'f'.repeat(12)}`,
    );
  });

  it('counts a drifted service that is not the release\'s (watchtower updated mongo) as drift too', () => {
    const mongoUpdated = running('dev-cloud', [CLOUD_IMAGES[0]!, CLOUD_IMAGES[1]!, image('mongo', 'mongo:7.0', sha('9'))]);
    expect(refused([mongoUpdated, SMOKER], [recorded(CLOUD), recorded(SMOKER)])).toMatch(/dev-cloud's containers are not .*: mongo runs 999999999999$/);
  });

  it('counts a service the record does not know as drift, and a local image as digest none', () => {
    const extra = running('dev-cloud', [...CLOUD_IMAGES, image('debug', 'busybox:latest', null)]);
    expect(refused([extra, SMOKER], [recorded(CLOUD), recorded(SMOKER)])).toMatch(/dev-cloud's containers are not what its last deploy started: debug runs none$/);
  });

  it('lists every environment that is not releasable', () => {
    const sick = running('dev-cloud', CLOUD_IMAGES, { healthy: false, problems: 'mongo (exited)' });
    expect(refused([sick, SMOKER], [recorded(sick)])).toBe(
      'dev is not releasable: dev-cloud fails its health check now: mongo (exited); virtual-smoker has no recorded deploy',
    );
  });

  it('refuses when dev environments run different versions, naming each', () => {
    const v2 = running('virtual-smoker', SMOKER_IMAGES, { version: 'v2' });
    expect(refused([CLOUD, v2], [recorded(CLOUD), recorded(v2)])).toBe('dev runs different versions: dev-cloud nightly, virtual-smoker v2');
  });

  it('refuses when one repository runs different digests in two environments', () => {
    const other = running('virtual-smoker', [SMOKER_IMAGES[0]!, image('frontend', `${FRONTEND}:nightly`, sha('f'))]);
    expect(refused([CLOUD, other], [recorded(CLOUD), recorded(other)])).toBe(
      `dev does not agree on the release: ${FRONTEND} is ${'b'.repeat(12)} on dev-cloud but ${'f'.repeat(12)} on virtual-smoker`,
    );
  });

  it('refuses a release image with no registry digest (built locally), naming the environment', () => {
    const local = running('dev-cloud', [image('backend', `${BACKEND}:nightly`, null), CLOUD_IMAGES[1]!]);
    expect(refused([local, SMOKER], [recorded(local), recorded(SMOKER)])).toBe(
      `dev does not agree on the release: dev-cloud runs ${BACKEND} from a local image with no registry digest`,
    );
  });

  it('does not mind a local image outside the release', () => {
    const localMongo = running('dev-cloud', [CLOUD_IMAGES[0]!, CLOUD_IMAGES[1]!, image('mongo', 'mongo:7.0', null)]);
    const { candidate } = candidateFrom(PLAN, [localMongo, SMOKER], [recorded(localMongo), recorded(SMOKER)]);
    expect(candidate.images.map((i) => i.repository)).toEqual([BACKEND, FRONTEND, DEVICE]);
  });
});

describe('devProblem', () => {
  it('is null for a healthy stack that runs exactly its last successful deploy', () => {
    expect(devProblem(CLOUD, recorded(CLOUD))).toBeNull();
  });

  it('checks health before the record: a sick stack without a record is told it is sick', () => {
    expect(devProblem(running('dev-cloud', [], { version: null, healthy: false, problems: 'no stack running' }), undefined)).toBe(
      'dev-cloud fails its health check now: no stack running',
    );
    expect(devProblem(running('dev-cloud', [], { healthy: false }), undefined)).toBe('dev-cloud fails its health check now: unhealthy');
  });

  it('names every drifted service', () => {
    const both = running('dev-cloud', [image('backend', `${BACKEND}:nightly`, sha('1')), image('frontend', `${FRONTEND}:nightly`, sha('2')), CLOUD_IMAGES[2]!]);
    expect(devProblem(both, recorded(CLOUD))).toBe(
      `dev-cloud's containers are not what its last deploy started: backend runs ${'1'.repeat(12)}, frontend runs ${'2'.repeat(12)}`,
    );
  });
});
