// Promotion: a tag pointed at a release's exact manifests, and put back.
// Activities (plain JSON in and out). Copying within one repository moves no
// blobs: a list (index) is put whole and its platform manifests are already there.
import { failure } from '../../workflows/failures.ts';
import type { RegistryTarget, ReleaseImage, TagSnapshot } from '../../workflows/types.ts';
import { getManifest, putManifest } from './manifests.ts';

const digestAt = async (registry: RegistryTarget, repository: string, reference: string): Promise<string | null> =>
  (await getManifest(registry.url, repository, reference))?.digest ?? null;

/** What `tag` points at in each repository right now. */
export async function readTags(registry: RegistryTarget, repositories: string[], tag: string): Promise<TagSnapshot> {
  const digests = await Promise.all(repositories.map((repository) => digestAt(registry, repository, tag)));
  return Object.fromEntries(repositories.map((repository, i) => [repository, digests[i]!]));
}

/** The digest each repository:tag names now, so that what follows is pinned to it. */
export async function resolveDigests(registry: RegistryTarget, images: { repository: string; tag: string }[]): Promise<ReleaseImage[]> {
  const digests = await Promise.all(images.map(({ repository, tag }) => digestAt(registry, repository, tag)));
  const missing = images.filter((_, i) => digests[i] === null).map(({ repository, tag }) => `${repository}:${tag}`);
  if (missing.length) throw failure('ImageMissingInRegistry', `not in the registry at ${registry.url}: ${missing.join(', ')}`);
  return images.map(({ repository }, i) => ({ repository, digest: digests[i]! }));
}

/**
 * Points `tag` at each image's digest and returns where it pointed before.
 * Everything is read and checked before anything is put, so a refusal leaves
 * every repository as it was. A retried call sees its own earlier puts: a
 * caller that must undo takes its snapshot with readTags first. (The API has
 * no conditional put: a push between the check and the put is not seen.)
 */
export async function pointTags(registry: RegistryTarget, images: ReleaseImage[], tag: string, options: { immutable: boolean }): Promise<TagSnapshot> {
  const repeated = images.map((i) => i.repository).filter((r, i, all) => all.indexOf(r) !== i);
  if (repeated.length) throw failure('InvalidInput', `one image per repository; given more than once: ${[...new Set(repeated)].join(', ')}`);

  const found = await Promise.all(
    images.map(async (image) => {
      const [manifest, current] = await Promise.all([getManifest(registry.url, image.repository, image.digest), digestAt(registry, image.repository, tag)]);
      return { image, manifest, current };
    }),
  );
  const missing = found.filter((f) => !f.manifest).map((f) => `${f.image.repository}@${f.image.digest}`);
  if (missing.length) throw failure('ImageMissingInRegistry', `not in the registry at ${registry.url}: ${missing.join(', ')}`);

  const taken = found.filter((f) => f.current !== null && f.current !== f.image.digest);
  if (options.immutable && taken.length) {
    const lines = taken.map((f) => `${f.image.repository}:${tag} is on ${f.current}, not ${f.image.digest}`);
    throw failure('ReleaseTagTaken', `${tag} is already released, and release tags do not move: ${lines.join('; ')}`, {
      taken: taken.map((f) => ({ repository: f.image.repository, current: f.current, candidate: f.image.digest })),
    });
  }

  for (const { image, manifest, current } of found) {
    if (current !== image.digest) await putManifest(registry.url, image.repository, tag, manifest!);
  }
  return Object.fromEntries(found.map((f) => [f.image.repository, f.current]));
}

/**
 * Puts `tag` back where `previous` says it was, and says what it did. A tag
 * that did not exist before is left: the API removes a tag only by deleting
 * its manifest, which would take every other tag on that digest with it.
 */
export async function restoreTags(registry: RegistryTarget, previous: TagSnapshot, tag: string): Promise<string[]> {
  const done: string[] = [];
  const gone: string[] = [];
  for (const [repository, digest] of Object.entries(previous)) {
    const now = await digestAt(registry, repository, tag);
    if (digest === null) {
      done.push(now ? `${repository}: ${tag} did not exist before; left on ${now}` : `${repository}: ${tag} did not exist before, nor does it now`);
    } else if (now === digest) {
      done.push(`${repository}: ${tag} already on ${digest}`);
    } else {
      const manifest = await getManifest(registry.url, repository, digest);
      if (!manifest) {
        gone.push(`${repository}@${digest}`);
        continue;
      }
      await putManifest(registry.url, repository, tag, manifest);
      done.push(`${repository}: ${tag} back on ${digest}${now ? ` (was ${now})` : ''}`);
    }
  }
  // The others are back; the ones whose manifest was deleted cannot be, by any retry.
  if (gone.length) {
    throw failure('ImageMissingInRegistry', `${tag} not put back, the manifest is no longer in the registry at ${registry.url}: ${gone.join(', ')}`, {
      done,
    });
  }
  return done;
}
