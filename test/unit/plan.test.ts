// Planning, the first step of a deploy, which touches no host: a secret that
// is missing or cannot be written to .env exactly is refused here, not
// halfway through the upload. No secret value is in any message or in the plan.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import { stringify } from 'yaml';
import { planDeploy } from '../../src/activities/plan.ts';

const dir = mkdtempSync(join(tmpdir(), 'smokestack-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DB_VAR = 'SMOKESTACK_TEST_PLAN_DB_PASSWORD';
afterEach(() => {
  delete process.env[DB_VAR];
});

/** A config file whose dev-cloud environment has these secrets. */
function configWithSecrets(secrets: Record<string, unknown>): string {
  const file = join(mkdtempSync(join(dir, 'config-')), 'smokestack.yml');
  writeFileSync(join(file, '..', 'stack.yml'), 'services: {}\n');
  writeFileSync(
    file,
    stringify({
      environments: {
        'dev-cloud': {
          kind: 'cloud',
          host: 'dev.example',
          privateKey: '/keys/id_ed25519',
          hostKey: `SHA256:${'P'.repeat(43)}`,
          deployDir: '/opt/smart-smoker-dev',
          composeFile: 'stack.yml',
          env: { NODE_ENV: 'production' },
          secrets,
          services: { backend: { container: 'backend_cloud', http: 'http://127.0.0.1:3001/api/ready' } },
        },
      },
    }),
  );
  return file;
}

/** The ApplicationFailure planning fails with. */
async function planFailure(configFile: string): Promise<ApplicationFailure> {
  const thrown = await planDeploy(configFile, { environment: 'dev-cloud', version: 'v2' }).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(thrown).toBeInstanceOf(ApplicationFailure);
  return thrown as ApplicationFailure;
}

describe('planDeploy and secrets', () => {
  it('plans with secrets that can be written, and the plan holds where they are, not what they are', async () => {
    const value = 'pa$$ word#1 "quoted"';
    process.env[DB_VAR] = value;
    writeFileSync(join(dir, 'vapid.key'), 'vapid-key-value\n');
    const file = configWithSecrets({ DB_PASSWORD: { env: DB_VAR }, VAPID_KEY: { file: join(dir, 'vapid.key') } });
    const plan = await planDeploy(file, { environment: 'dev-cloud', version: 'v2' });
    expect(plan.secrets).toEqual({ DB_PASSWORD: { env: DB_VAR }, VAPID_KEY: { file: join(dir, 'vapid.key') } });
    expect(JSON.stringify(plan)).not.toContain(value);
    expect(JSON.stringify(plan)).not.toContain('vapid-key-value');
  });

  it('reads each secret once', async () => {
    process.env[DB_VAR] = 'hunter2';
    const file = configWithSecrets({ DB_PASSWORD: { env: DB_VAR }, ENCODED_DB_PASSWORD: { env: DB_VAR, encode: 'uri' } });
    const env = process.env;
    let reads = 0;
    process.env = new Proxy(env, {
      get: (target, key) => {
        if (key === DB_VAR) reads += 1;
        return Reflect.get(target, key);
      },
    });
    try {
      await planDeploy(file, { environment: 'dev-cloud', version: 'v2' });
    } finally {
      process.env = env;
    }
    expect(reads).toBe(2); // one per secret that names the variable
  });

  it('a missing secret: SecretMissing, naming the secret and the variable', async () => {
    const failure = await planFailure(configWithSecrets({ DB_PASSWORD: { env: DB_VAR } }));
    expect(failure.type).toBe('SecretMissing');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`secret DB_PASSWORD: environment variable ${DB_VAR} is not set on the worker`);
  });

  it('a secret file that cannot be read: SecretMissing, naming the file', async () => {
    const absent = join(dir, 'absent.key');
    const failure = await planFailure(configWithSecrets({ VAPID_KEY: { file: absent } }));
    expect(failure.type).toBe('SecretMissing');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(`secret VAPID_KEY: cannot read ${absent}: ENOENT: no such file or directory, open '${absent}'`);
  });

  it.each([
    ['a single quote', "it's-a-secret"],
    ['a line break', 'first-line\nsecond-line'],
    ['a carriage return', 'first-part\rsecond-part'],
  ])('a secret in an environment variable holding %s: InvalidSetting, without the value', async (_, value) => {
    process.env[DB_VAR] = value;
    const failure = await planFailure(configWithSecrets({ DB_PASSWORD: { env: DB_VAR } }));
    expect(failure.type).toBe('InvalidSetting');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      `secret DB_PASSWORD (environment variable ${DB_VAR}) holds a single quote or a line break, which a .env file cannot hold exactly`,
    );
    for (const part of value.split(/[\n\r']/)) expect(failure.message).not.toContain(part);
  });

  it('a secret file with a line break inside: InvalidSetting, without the value', async () => {
    const key = join(dir, 'two-lines.key');
    writeFileSync(key, 'first-line\nsecond-line\n'); // the last line end is dropped, the inner one is not
    const failure = await planFailure(configWithSecrets({ VAPID_KEY: { file: key } }));
    expect(failure.type).toBe('InvalidSetting');
    expect(failure.message).toBe(`secret VAPID_KEY (file ${key}) holds a single quote or a line break, which a .env file cannot hold exactly`);
    expect(failure.message).not.toContain('first-line');
  });

  it('a URL-encoded secret is checked as it will be written (encoding keeps a single quote)', async () => {
    process.env[DB_VAR] = "o'brien";
    const failure = await planFailure(configWithSecrets({ ENCODED_DB_PASSWORD: { env: DB_VAR, encode: 'uri' } }));
    expect(failure.type).toBe('InvalidSetting');
    expect(failure.message).toBe(
      `secret ENCODED_DB_PASSWORD (environment variable ${DB_VAR}) holds a single quote or a line break, which a .env file cannot hold exactly`,
    );
    expect(failure.message).not.toContain('brien');
  });

  it('a URL-encoded secret is checked as written: a line break encodes to %0A, which .env holds', async () => {
    process.env[DB_VAR] = 'first-line\nsecond-line';
    const file = configWithSecrets({ ENCODED_DB_PASSWORD: { env: DB_VAR, encode: 'uri' } });
    const plan = await planDeploy(file, { environment: 'dev-cloud', version: 'v2' });
    expect(plan.secrets).toEqual({ ENCODED_DB_PASSWORD: { env: DB_VAR, encode: 'uri' } });
  });
});
