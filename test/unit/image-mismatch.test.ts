// A promoted release must start exactly the candidate's images: after the
// pull, every image of a release repository is compared by digest
// (mismatchedImages in src/activities/host/stack.ts). Pure: no host.
import { describe, expect, it } from 'vitest';
import { mismatchedImages } from '../../src/activities/host/stack.ts';
import type { ReleaseImage, ServiceImage } from '../../src/workflows/types.ts';

const sha = (c: string) => `sha256:${c.repeat(64)}`;
const BACKEND = 'benjr70/smart-smoker-backend';
const FRONTEND = 'benjr70/smart-smoker-frontend';

const image = (service: string, ref: string, digest: string | null): ServiceImage => ({
  service,
  image: ref,
  digest: digest === null ? null : `${ref.replace(/:[^:/]*$/, '')}@${digest}`,
  imageId: `sha256:id-of-${service}`,
});

const EXPECTED: ReleaseImage[] = [
  { repository: BACKEND, digest: sha('a') },
  { repository: FRONTEND, digest: sha('b') },
];

describe('mismatchedImages', () => {
  it('is empty when every release image resolved to its expected digest', () => {
    const images = [image('backend', `${BACKEND}:v1.4.0`, sha('a')), image('frontend', `${FRONTEND}:v1.4.0`, sha('b'))];
    expect(mismatchedImages(images, EXPECTED)).toEqual([]);
  });

  it('names the service, what it runs and what the release has', () => {
    const images = [image('backend', `${BACKEND}:v1.4.0`, sha('9')), image('frontend', `${FRONTEND}:v1.4.0`, sha('b'))];
    expect(mismatchedImages(images, EXPECTED)).toEqual([`backend runs ${BACKEND}:v1.4.0 at ${sha('9')}, the release has ${sha('a')}`]);
  });

  it('lists every mismatch', () => {
    const images = [image('backend', `${BACKEND}:v1.4.0`, sha('9')), image('frontend', `${FRONTEND}:v1.4.0`, sha('8'))];
    expect(mismatchedImages(images, EXPECTED)).toHaveLength(2);
  });

  it('ignores images of repositories the release does not list', () => {
    const images = [
      image('backend', `${BACKEND}:v1.4.0`, sha('a')),
      image('mongo', 'mongo:7.0', sha('c')),
      image('watchtower', 'containrrr/watchtower:latest', null),
    ];
    expect(mismatchedImages(images, EXPECTED)).toEqual([]);
  });

  it('an image of a release repository with no registry digest is a mismatch', () => {
    const images = [image('backend', `${BACKEND}:v1.4.0`, null)];
    expect(mismatchedImages(images, EXPECTED)).toEqual([`backend runs ${BACKEND}:v1.4.0 at no registry digest, the release has ${sha('a')}`]);
  });

  it('reads a Docker Hub reference however it is spelled', () => {
    for (const ref of [`docker.io/${BACKEND}:v1.4.0`, `index.docker.io/${BACKEND}:v1.4.0`, `${BACKEND}@${sha('a')}`]) {
      expect(mismatchedImages([image('backend', ref, sha('a'))], EXPECTED), ref).toEqual([]);
      expect(mismatchedImages([image('backend', ref, sha('9'))], EXPECTED), ref).toHaveLength(1);
    }
    // An official image: library/ and docker.io/ are the same repository.
    const mongo = [{ repository: 'mongo', digest: sha('c') }];
    expect(mismatchedImages([image('mongo', 'docker.io/library/mongo:7.0', sha('c'))], mongo)).toEqual([]);
    expect(mismatchedImages([image('mongo', 'docker.io/library/mongo:7.0', sha('d'))], mongo)).toHaveLength(1);
  });

  it('a registry with a port is not mistaken for a tag', () => {
    const local = [{ repository: `localhost:5000/${BACKEND}`, digest: sha('a') }];
    expect(mismatchedImages([image('backend', `localhost:5000/${BACKEND}:v1.4.0`, sha('9'))], local)).toHaveLength(1);
    expect(mismatchedImages([image('backend', `localhost:5000/${BACKEND}:v1.4.0`, sha('a'))], local)).toEqual([]);
  });

  it('nothing expected, nothing mismatched', () => {
    expect(mismatchedImages([image('backend', `${BACKEND}:v1.4.0`, null)], [])).toEqual([]);
  });
});
