// Pure helpers of the stack activities: image references and digests, the
// pins override file, .env lines and secrets. No host, no Temporal server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { digestFor, pinnedRef, repositoryOf } from '../../src/activities/registry/images.ts';
import { envLine, readSecret } from '../../src/activities/secrets.ts';
import { pinsFile } from '../../src/activities/host/stack.ts';
import type { ServiceImage } from '../../src/workflows/types.ts';
import { failureOf } from '../support/failures.ts';

const SHA_A = `sha256:${'a'.repeat(64)}`;
const SHA_B = `sha256:${'b'.repeat(64)}`;
const SHA_C = `sha256:${'c'.repeat(64)}`;

describe('repositoryOf', () => {
  it.each([
    ['mongo:7.0', 'mongo'],
    ['mongo', 'mongo'],
    ['benjr70/smart-smoker-backend:v1', 'benjr70/smart-smoker-backend'],
    ['benjr70/smart-smoker-backend', 'benjr70/smart-smoker-backend'],
    [`docker.io/library/mongo@${SHA_A}`, 'mongo'],
    ['docker.io/library/mongo:7.0', 'mongo'],
    ['index.docker.io/library/mongo:7.0', 'mongo'],
    ['registry-1.docker.io/library/mongo', 'mongo'],
    ['library/mongo:7.0', 'mongo'],
    ['docker.io/benjr70/smart-smoker-backend:v1', 'benjr70/smart-smoker-backend'],
    [`mongo:7.0@${SHA_A}`, 'mongo'],
    ['host:5000/x/y:tag', 'host:5000/x/y'],
    ['host:5000/x/y', 'host:5000/x/y'],
    [`host:5000/x/y@${SHA_A}`, 'host:5000/x/y'],
    [`127.0.0.1:5000/x/y:tag@${SHA_A}`, '127.0.0.1:5000/x/y'],
    ['ghcr.io/owner/image:1.2.3', 'ghcr.io/owner/image'],
  ])('%s -> %s', (ref, repo) => {
    expect(repositoryOf(ref)).toBe(repo);
  });
});

describe('digestFor', () => {
  const repoDigests = [
    `127.0.0.1:5000/benjr70/smart-smoker-backend@${SHA_A}`,
    `benjr70/smart-smoker-backend@${SHA_B}`,
    `mongo@${SHA_C}`,
  ];

  it('picks the entry of the matching repository among several', () => {
    expect(digestFor('benjr70/smart-smoker-backend:v1', repoDigests)).toBe(`benjr70/smart-smoker-backend@${SHA_B}`);
    expect(digestFor('127.0.0.1:5000/benjr70/smart-smoker-backend:v1', repoDigests)).toBe(`127.0.0.1:5000/benjr70/smart-smoker-backend@${SHA_A}`);
    expect(digestFor('mongo:7.0', repoDigests)).toBe(`mongo@${SHA_C}`);
  });

  it('matches Docker Hub names written in full', () => {
    expect(digestFor('docker.io/library/mongo:7.0', repoDigests)).toBe(`mongo@${SHA_C}`);
    expect(digestFor('mongo:7.0', [`docker.io/library/mongo@${SHA_C}`])).toBe(`docker.io/library/mongo@${SHA_C}`);
  });

  it('returns null when no entry is of that repository', () => {
    expect(digestFor('benjr70/smart-smoker-frontend:v1', repoDigests)).toBeNull();
    expect(digestFor('other-host:5000/benjr70/smart-smoker-backend:v1', repoDigests)).toBeNull();
    expect(digestFor('mongo:7.0', [])).toBeNull();
  });
});

describe('pinnedRef', () => {
  it('is the digest when there is one', () => {
    expect(pinnedRef({ service: 'mongo', image: 'mongo:7.0', digest: `mongo@${SHA_C}`, imageId: SHA_A })).toBe(`mongo@${SHA_C}`);
  });

  it('is the local image ID when the image has no registry digest', () => {
    expect(pinnedRef({ service: 'app', image: 'local/app:dev', digest: null, imageId: SHA_A })).toBe(SHA_A);
  });
});

describe('pinsFile', () => {
  const images: ServiceImage[] = [
    { service: 'backend', image: 'benjr70/smart-smoker-backend:v2', digest: `benjr70/smart-smoker-backend@${SHA_B}`, imageId: SHA_A },
    { service: 'local', image: 'local/app:dev', digest: null, imageId: SHA_C },
  ];
  const plan = { environment: 'dev-cloud', version: 'v2' };

  it('pins every service to its digest, or its image ID when it has none', () => {
    const text = pinsFile(plan, images);
    expect(parseYaml(text)).toEqual({
      services: {
        backend: { image: `benjr70/smart-smoker-backend@${SHA_B}` },
        local: { image: SHA_C },
      },
    });
    expect(text.startsWith('# Written by smokestack for dev-cloud v2')).toBe(true);
  });

  it('has a top-level version only when given one', () => {
    expect(parseYaml(pinsFile(plan, images))).not.toHaveProperty('version');
    const doc = parseYaml(pinsFile(plan, images, '3.8')) as { version: unknown; services: Record<string, unknown> };
    expect(doc.version).toBe('3.8');
    expect(Object.keys(doc.services)).toEqual(['backend', 'local']);
  });

  it('with no images, has an empty services map', () => {
    expect(parseYaml(pinsFile(plan, []))).toEqual({ services: {} });
  });
});

describe('envLine', () => {
  it.each([
    ['v2', 'VERSION=v2'],
    ['mongodb://db:27017/smoker', 'VERSION=mongodb://db:27017/smoker'],
    ['a+b/c=d,e@f%g.h-i_j', 'VERSION=a+b/c=d,e@f%g.h-i_j'],
    ['', 'VERSION='],
  ])('leaves a bare value bare: %j', (value, line) => {
    expect(envLine('VERSION', value)).toBe(line);
  });

  it.each([
    ['two words', "NAME='two words'"],
    ['$HOME', "NAME='$HOME'"],
    ['pa$$word', "NAME='pa$$word'"],
    ['a#comment', "NAME='a#comment'"],
    ['say "hi"', `NAME='say "hi"'`],
    ['back\\slash', "NAME='back\\slash'"],
  ])('single-quotes a value that needs it: %j', (value, line) => {
    expect(envLine('NAME', value)).toBe(line);
  });

  it.each([["it's"], ['line\nbreak'], ['carriage\rreturn']])('refuses a value it cannot write exactly: %j', (value) => {
    const failure = failureOf(() => envLine('NAME', value));
    expect(failure.type).toBe('InvalidSetting');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe('setting NAME holds a single quote or a line break, which a .env file cannot hold exactly');
  });
});

describe('readSecret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smokestack-secrets-'));
  const envNames: string[] = [];
  const setEnv = (name: string, value: string) => {
    envNames.push(name);
    process.env[name] = value;
  };

  afterEach(() => {
    for (const name of envNames.splice(0)) delete process.env[name];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads an environment variable', () => {
    setEnv('SMOKESTACK_TEST_SECRET', 's3cr3t value');
    expect(readSecret('db password', { env: 'SMOKESTACK_TEST_SECRET' })).toBe('s3cr3t value');
  });

  it('reads a file, without its trailing newline', () => {
    const file = join(dir, 'secret');
    writeFileSync(file, 'from-a-file\n');
    expect(readSecret('db password', { file })).toBe('from-a-file');
    writeFileSync(file, 'crlf\r\n');
    expect(readSecret('db password', { file })).toBe('crlf');
    writeFileSync(file, 'no-newline');
    expect(readSecret('db password', { file })).toBe('no-newline');
    // Only the one line end a file editor adds is removed.
    writeFileSync(file, 'two\n\n');
    expect(readSecret('db password', { file })).toBe('two\n');
  });

  it("encode: 'uri' percent-encodes the value", () => {
    setEnv('SMOKESTACK_TEST_SECRET', 'a+b/c=d e:f@g?h&i#j');
    expect(readSecret('mongo password', { env: 'SMOKESTACK_TEST_SECRET', encode: 'uri' })).toBe('a%2Bb%2Fc%3Dd%20e%3Af%40g%3Fh%26i%23j');
    const file = join(dir, 'uri');
    writeFileSync(file, 'x+y/z=\n');
    expect(readSecret('mongo password', { file, encode: 'uri' })).toBe('x%2By%2Fz%3D');
  });

  it('a missing environment variable: SecretMissing, naming the variable and no value', () => {
    delete process.env.SMOKESTACK_TEST_ABSENT;
    setEnv('SMOKESTACK_TEST_OTHER', 'do-not-leak-me');
    const failure = failureOf(() => readSecret('db password', { env: 'SMOKESTACK_TEST_ABSENT' }));
    expect(failure.type).toBe('SecretMissing');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('SMOKESTACK_TEST_ABSENT');
    expect(failure.message).toContain('db password');
    expect(failure.message).not.toContain('do-not-leak-me');
  });

  it('an empty environment variable counts as missing', () => {
    setEnv('SMOKESTACK_TEST_EMPTY', '');
    const failure = failureOf(() => readSecret('db password', { env: 'SMOKESTACK_TEST_EMPTY' }));
    expect(failure.type).toBe('SecretMissing');
    expect(failure.message).toContain('SMOKESTACK_TEST_EMPTY');
  });

  it('an unreadable file: SecretMissing, naming the file', () => {
    const file = join(dir, 'absent');
    const failure = failureOf(() => readSecret('db password', { file }));
    expect(failure.type).toBe('SecretMissing');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(file);
  });
});
