// What a release may be called (src/config/release.ts): an image tag that
// never moves on its own. The CLI and the worker both ask releaseProblem.
import { describe, expect, it } from 'vitest';
import { releaseProblem } from '../../src/config/release.ts';

describe('releaseProblem', () => {
  it.each(['v1.4.0', '1.4.0', 'v2', '2025.01.15', 'v1.4.0-rc.1', 'release_7', 'V1.4.0', 'x'.repeat(128)])('%s is a release', (release) => {
    expect(releaseProblem(release)).toBeNull();
  });

  it.each(['latest', 'nightly'])('%s is a moving tag, refused with an example of a name', (release) => {
    expect(releaseProblem(release)).toBe(`release "${release}" is a moving tag; name the release, e.g. v1.4.0`);
  });

  it.each([
    ['empty', ''],
    ['a space', 'v1 .4'],
    ['a slash', 'v1/4'],
    ['a colon', 'v1:4'],
    ['an at sign', 'v1@sha256'],
    ['a leading dot', '.v1'],
    ['a leading dash', '-v1'],
    ['a line break', 'v1.4.0\n'],
    ['a shell word', '$(reboot)'],
    ['129 characters', 'x'.repeat(129)],
  ])('a tag with %s is refused, with the grammar', (_, release) => {
    expect(releaseProblem(release)).toBe(
      `release "${release}" is not an image tag: letters, digits, "_", "." and "-", at most 128 characters`,
    );
  });
});
