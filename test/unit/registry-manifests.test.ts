// The registry client's pure parts (src/activities/registry/manifests.ts):
// a digest is of the exact bytes, the mediaType is the manifest's own, and
// every GET accepts every type we copy.
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ACCEPT, digestOf, manifestPath, mediaTypeOf } from '../../src/activities/registry/manifests.ts';

const LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

describe('a manifest digest', () => {
  it('is the sha256 of the exact bytes, as sha256sum prints it', () => {
    // printf '' | sha256sum
    expect(digestOf(Buffer.alloc(0))).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('changes with the bytes even when the JSON means the same', () => {
    const compact = Buffer.from(`{"schemaVersion":2,"mediaType":"${LIST}","manifests":[]}`);
    const spaced = Buffer.from(JSON.stringify(JSON.parse(compact.toString()), null, 3));
    expect(digestOf(spaced)).not.toBe(digestOf(compact));
  });
});

describe('a manifest mediaType', () => {
  it("is the body's own mediaType field, whatever the header says", () => {
    expect(mediaTypeOf(Buffer.from(`{"mediaType":"${LIST}"}`), 'application/json')).toBe(LIST);
  });

  it('falls back to the Content-Type header (OCI manifests may omit the field), without parameters', () => {
    expect(mediaTypeOf(Buffer.from('{"schemaVersion":2}'), `${OCI_MANIFEST}; charset=utf-8`)).toBe(OCI_MANIFEST);
    expect(mediaTypeOf(Buffer.from('not json'), OCI_MANIFEST)).toBe(OCI_MANIFEST);
  });

  it('is an error when neither says', () => {
    expect(() => mediaTypeOf(Buffer.from('{}'), null)).toThrow(/no mediaType/);
  });
});

describe('a manifest request', () => {
  it('accepts all four manifest types, so the registry answers the manifest as pushed', () => {
    expect([...ACCEPT].sort()).toEqual(
      [
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.oci.image.manifest.v1+json',
      ].sort(),
    );
  });

  it('goes to /v2/<repository>/manifests/<tag or digest>, and nothing else reaches the path', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(manifestPath('benjr70/smart-smoker-backend', 'v1.2.0')).toBe('/v2/benjr70/smart-smoker-backend/manifests/v1.2.0');
    expect(manifestPath('benjr70/smart-smoker-backend', digest)).toBe(`/v2/benjr70/smart-smoker-backend/manifests/${digest}`);
    for (const [repository, reference] of [
      ['benjr70/../admin', 'v1'],
      ['Benjr70/backend', 'v1'],
      ['benjr70/backend', 'v1?x=1'],
      ['benjr70/backend', '-v1'],
      ['benjr70/backend', 'sha256:abc'],
    ]) {
      const refusal = (() => {
        try {
          manifestPath(repository!, reference!);
        } catch (err) {
          return err;
        }
      })();
      expect(refusal, `${repository}:${reference}`).toBeInstanceOf(ApplicationFailure);
      expect((refusal as ApplicationFailure).type).toBe('InvalidInput');
    }
  });
});
