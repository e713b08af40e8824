// What a successful deploy removes from the host (beyondNewest), and which
// failed pulls are final (isMissingImage: the registry has no such image).
import { describe, expect, it } from 'vitest';
import { beyondNewest } from '../../src/activities/host/retention.ts';
import { isMissingImage } from '../../src/activities/registry/images.ts';

// Newest first, as `ls -t` lists them.
const five = ['e', 'd', 'c', 'b', 'a'];

describe('beyondNewest', () => {
  it.each<[string, string[], number, string[], string[]]>([
    // what, newest first, keep, protect, removed
    ['keeps the newest `keep`', five, 2, [], ['c', 'b', 'a']],
    ['keeps the newest `keep`, keep 1', five, 1, [], ['d', 'c', 'b', 'a']],
    ['never removes the newest, even with keep 0', five, 0, [], ['d', 'c', 'b', 'a']],
    ['never removes the newest, even with a negative keep', five, -3, [], ['d', 'c', 'b', 'a']],
    ['never removes a protected entry, however old', five, 2, ['a'], ['c', 'b']],
    ['protects several', five, 1, ['d', 'b'], ['c', 'a']],
    ['a protected name that is not listed changes nothing', five, 3, ['zzz'], ['b', 'a']],
    ['a protected entry among the kept ones does not make room for an older one', five, 2, ['e'], ['c', 'b', 'a']],
    ['removes nothing with fewer than `keep` entries', ['b', 'a'], 3, [], []],
    ['removes nothing with exactly `keep` entries', ['c', 'b', 'a'], 3, [], []],
    ['removes nothing from one entry, keep 0', ['a'], 0, [], []],
    ['removes nothing from nothing', [], 5, [], []],
  ])('%s', (_, newestFirst, keep, protect, removed) => {
    const result = beyondNewest(newestFirst, keep, protect);
    expect(result).toEqual(removed);
    // Whatever the table says, the invariants hold.
    for (const name of protect) expect(result).not.toContain(name);
    if (newestFirst.length > 0) expect(result).not.toContain(newestFirst[0]);
    expect(result.length).toBeLessThanOrEqual(Math.max(0, newestFirst.length - Math.max(1, keep)));
  });

  it('does not change its input', () => {
    const names = [...five];
    beyondNewest(names, 1, ['a']);
    expect(names).toEqual(five);
  });
});

describe('isMissingImage', () => {
  it.each([
    'Error response from daemon: manifest for 127.0.0.1:5000/smart-smoker-backend:nope not found: manifest unknown: manifest unknown',
    "pull access denied for foo, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
    'Error response from daemon: pull access denied for foo, repository does not exist or may require \'docker login\'',
    // Compose v2, one service of the stack.
    ' backend Error manifest for 127.0.0.1:5000/smart-smoker-backend:nope not found: manifest unknown: manifest unknown',
    // A registry that answers for the repository but has no such name.
    'Error response from daemon: name unknown: repository name not known to registry',
  ])('a missing image: %s', (output) => {
    expect(isMissingImage(output)).toBe(true);
  });

  it.each([
    'Error response from daemon: Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused',
    'Error response from daemon: Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout',
    'Error response from daemon: Get "https://registry-1.docker.io/v2/": context deadline exceeded',
    'Error response from daemon: Get "https://ghcr.io/v2/": dial tcp: lookup ghcr.io on 127.0.0.53:53: server misbehaving',
    'error pulling image configuration: download failed after attempts=6: net/http: TLS handshake timeout',
    '',
  ])('not a missing image: %s', (output) => {
    expect(isMissingImage(output)).toBe(false);
  });
});
