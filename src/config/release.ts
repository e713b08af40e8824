// What a release may be called: an image tag that never moves on its own.
// The CLI checks it before starting anything; the worker checks it again.
import { VERSION_PATTERN } from './schema.ts';

/** Tags that move on their own: a release is never one of them. */
const MOVING_TAGS = new Set(['latest', 'nightly']);

export function releaseProblem(release: string): string | null {
  if (!VERSION_PATTERN.test(release)) return `release "${release}" is not an image tag: letters, digits, "_", "." and "-", at most 128 characters`;
  if (MOVING_TAGS.has(release)) return `release "${release}" is a moving tag; name the release, e.g. v1.4.0`;
  return null;
}
