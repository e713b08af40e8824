// Image references and digests: which manifest a container really runs.
import { repositoryOf } from '../../workflows/image-refs.ts';
import type { ServiceImage } from '../../workflows/types.ts';

export { repositoryOf };

/** The RepoDigests entry for this reference's repository, if the image came from a registry. */
export function digestFor(ref: string, repoDigests: readonly string[]): string | null {
  const repo = repositoryOf(ref);
  return repoDigests.find((d) => repositoryOf(d) === repo) ?? null;
}

/** What a pinned service is started from: the digest when known, else the local image ID. */
export function pinnedRef(image: ServiceImage): string {
  return image.digest ?? image.imageId;
}

// What Docker and Compose print when the registry has no such image: a retry cannot help.
const NO_SUCH_IMAGE = /manifest unknown|not found: manifest|pull access denied|repository does not exist|name unknown/i;

/** Whether a failed pull's output says the registry has no such image (rather than not answering). */
export const isMissingImage = (pullOutput: string): boolean => NO_SUCH_IMAGE.test(pullOutput);
