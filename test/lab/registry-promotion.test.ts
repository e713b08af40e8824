// Promotion by digest, against the lab registry: a tag put by pointTags names
// the very bytes of the release (a manifest list whole, its platforms still
// there); a release tag on another digest is refused before any repository
// changes; restoreTags puts a moved tag back. Tags are this run's own: the
// API cannot remove a tag without deleting its manifest, so they stay.
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { beforeAll, describe, expect, it } from 'vitest';
import { getManifest } from '../../src/activities/registry/manifests.ts';
import { pointTags, readTags, resolveDigests, restoreTags } from '../../src/activities/registry/promote.ts';
import type { ReleaseImage, TagSnapshot } from '../../src/workflows/types.ts';
import { LAB_REGISTRY } from '../support/paths.ts';

const registry = { url: LAB_REGISTRY };
// Its v1 and v2 are manifest lists, amd64 and arm/v7 (lab/images/arm-variant.mjs).
const DEVICE = 'benjr70/smart-smoker-device-service';
const BACKEND = 'benjr70/smart-smoker-backend';
const REPOS = [DEVICE, BACKEND];
const DOCKER_V2 = 'application/vnd.docker.distribution.manifest.v2+json';
const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
// The test's own list, not the product's: what any client accepting every type is answered.
const ALL_TYPES = [LIST, DOCKER_V2, 'application/vnd.oci.image.index.v1+json', 'application/vnd.oci.image.manifest.v1+json'].join(', ');

const RUN = `test-${Date.now().toString(36)}`;
const tagFor = (purpose: string) => `${RUN}-${purpose}`;

/** A GET as any client would send it, with the Accept header given. */
async function rawGet(repository: string, reference: string, accept: string) {
  const res = await fetch(`${LAB_REGISTRY}/v2/${repository}/manifests/${reference}`, { headers: { accept } });
  expect(res.status, `GET ${repository}:${reference}`).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  return {
    bytes,
    sha256: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    served: res.headers.get('docker-content-digest'),
    contentType: res.headers.get('content-type'),
  };
}

/** The failure a promise was refused with. */
async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'refused with an ApplicationFailure').toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

const snapshotOf = (images: ReleaseImage[]): TagSnapshot => Object.fromEntries(images.map((i) => [i.repository, i.digest]));

let v1: ReleaseImage[];
let v2: ReleaseImage[];
beforeAll(async () => {
  v1 = await resolveDigests(registry, REPOS.map((repository) => ({ repository, tag: 'v1' })));
  v2 = await resolveDigests(registry, REPOS.map((repository) => ({ repository, tag: 'v2' })));
});

describe('resolving a release', () => {
  it("gives the list's digest for a multi-platform image, not one platform's", async () => {
    const device = v1.find((i) => i.repository === DEVICE)!;
    const asPushed = await rawGet(DEVICE, 'v1', ALL_TYPES);
    expect(asPushed.contentType).toBe(LIST);
    expect(device.digest).toBe(asPushed.sha256);
    expect(v1.find((i) => i.repository === DEVICE)!.digest).not.toBe(v2.find((i) => i.repository === DEVICE)!.digest);
  });

  it('refuses a tag the registry does not have, naming repository:tag', async () => {
    const err = await refusal(resolveDigests(registry, [{ repository: BACKEND, tag: 'v1' }, { repository: BACKEND, tag: tagFor('absent') }]));
    expect(err.type).toBe('ImageMissingInRegistry');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(`${BACKEND}:${tagFor('absent')}`);
    expect(err.message).not.toContain(`${BACKEND}:v1`);
  });
});

describe('pointing a tag at a release', () => {
  const tag = tagFor('exact');

  it('puts the exact bytes: the tag answers the same digest, and a list keeps its platforms', async () => {
    expect(await pointTags(registry, v1, tag, { immutable: true })).toEqual({ [DEVICE]: null, [BACKEND]: null });
    expect(await readTags(registry, REPOS, tag)).toEqual(snapshotOf(v1));

    for (const { repository, digest } of v1) {
      const source = await rawGet(repository, digest, ALL_TYPES);
      const tagged = await rawGet(repository, tag, ALL_TYPES);
      expect(tagged.bytes.equals(source.bytes), `${repository}:${tag} has the bytes of ${digest}`).toBe(true);
      expect(tagged.sha256).toBe(digest);
      expect(tagged.served).toBe(digest);
    }

    const list = await rawGet(DEVICE, tag, ALL_TYPES);
    expect(list.contentType).toBe(LIST);
    const children = (JSON.parse(list.bytes.toString()) as { manifests: { digest: string; platform: { architecture: string } }[] }).manifests;
    expect(children.map((c) => c.platform.architecture).sort()).toEqual(['amd64', 'arm']);
    for (const child of children) {
      const manifest = await getManifest(LAB_REGISTRY, DEVICE, child.digest);
      expect(manifest?.digest, `${child.platform.architecture} child reachable`).toBe(child.digest);
    }
  });

  it('needs all four Accept types: asked for a Docker v2 manifest only, the registry answers one platform, another digest', async () => {
    const device = v1.find((i) => i.repository === DEVICE)!;
    const narrow = await rawGet(DEVICE, tag, DOCKER_V2);
    expect(narrow.contentType).toBe(DOCKER_V2);
    expect(narrow.served).not.toBe(device.digest);
    expect(narrow.sha256).not.toBe(device.digest);
  });

  it('refuses a digest the repository does not hold, before changing anything', async () => {
    const fresh = tagFor('missing');
    const backendInDevice = { repository: DEVICE, digest: v1.find((i) => i.repository === BACKEND)!.digest };
    const err = await refusal(pointTags(registry, [v1.find((i) => i.repository === BACKEND)!, backendInDevice], fresh, { immutable: false }));
    expect(err.type).toBe('ImageMissingInRegistry');
    expect(err.message).toContain(`${DEVICE}@${backendInDevice.digest}`);
    expect(await readTags(registry, REPOS, fresh)).toEqual({ [DEVICE]: null, [BACKEND]: null });
  });
});

describe('an immutable release tag', () => {
  const tag = tagFor('release');

  it('on another digest is refused before any repository changes', async () => {
    // The device is released at v1; the backend has no such tag yet, and comes first.
    await pointTags(registry, v1.filter((i) => i.repository === DEVICE), tag, { immutable: true });
    const before = await readTags(registry, REPOS, tag);
    expect(before).toEqual({ [DEVICE]: v1.find((i) => i.repository === DEVICE)!.digest, [BACKEND]: null });

    const candidate = [v2.find((i) => i.repository === BACKEND)!, v2.find((i) => i.repository === DEVICE)!];
    const err = await refusal(pointTags(registry, candidate, tag, { immutable: true }));
    expect(err.type).toBe('ReleaseTagTaken');
    // Neither repository changed: not the device, and not the backend that had no tag to protect.
    expect(await readTags(registry, REPOS, tag)).toEqual(before);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(DEVICE);
    expect(err.message).toContain(before[DEVICE]!);
    expect(err.message).toContain(candidate[1]!.digest);
    expect(err.details).toEqual([{ taken: [{ repository: DEVICE, current: before[DEVICE], candidate: candidate[1]!.digest }] }]);
  });

  it('on the same digest is fine: nothing moves', async () => {
    const device = v1.filter((i) => i.repository === DEVICE);
    expect(await pointTags(registry, device, tag, { immutable: true })).toEqual(snapshotOf(device));
    expect(await readTags(registry, REPOS, tag)).toEqual({ ...snapshotOf(device), [BACKEND]: null });
  });
});

describe('putting a moved tag back', () => {
  const tag = tagFor('moving');

  it('restoreTags puts each tag back on its previous digest', async () => {
    await pointTags(registry, v1, tag, { immutable: false });
    const previous = await pointTags(registry, v2, tag, { immutable: false });
    expect(previous).toEqual(snapshotOf(v1));
    expect(await readTags(registry, REPOS, tag)).toEqual(snapshotOf(v2));

    const lines = await restoreTags(registry, previous, tag);
    expect(await readTags(registry, REPOS, tag)).toEqual(snapshotOf(v1));
    for (const { repository, digest } of v1) expect(lines.join('\n')).toContain(`${repository}: ${tag} back on ${digest}`);
    const device = v1.find((i) => i.repository === DEVICE)!;
    expect((await rawGet(DEVICE, tag, ALL_TYPES)).sha256).toBe(device.digest);

    // Again: nothing left to do, and it says so.
    expect(await restoreTags(registry, previous, tag)).toEqual(v1.map(({ repository, digest }) => `${repository}: ${tag} already on ${digest}`));
  });

  it('leaves a tag that did not exist before, and names it', async () => {
    const fresh = tagFor('new');
    const previous = await pointTags(registry, v2, fresh, { immutable: true });
    expect(previous).toEqual({ [DEVICE]: null, [BACKEND]: null });
    const lines = await restoreTags(registry, previous, fresh);
    for (const { repository, digest } of v2) expect(lines).toContain(`${repository}: ${fresh} did not exist before; left on ${digest}`);
    expect(await readTags(registry, REPOS, fresh)).toEqual(snapshotOf(v2));
  });
});

describe('a registry that does not answer', () => {
  it('is a plain, retryable Error naming the request', async () => {
    const err = await getManifest('http://127.0.0.1:1', BACKEND, 'v1').then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ApplicationFailure);
    expect(err!.message).toMatch(new RegExp(`^GET /v2/${BACKEND}/manifests/v1: no answer from http://127.0.0.1:1`));
  });
});
