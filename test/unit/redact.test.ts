// Secrets out of free text from hosts: the values the worker knows, in every
// form, and the shapes of secrets it does not know; then a notice as Discord
// receives it, its log lines and reason redacted.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notify } from '../../src/activities/notify/notify.ts';
import { configSecretValues, redactor, redactShapes, redactValues, redactStrings } from '../../src/activities/redact.ts';
import { redact } from '../../src/activities/database/connect.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Notice } from '../../src/workflows/types.ts';
import { startDiscordRecorder, type DiscordRecorder } from '../support/discord-recorder.ts';
import { minimalEnvironment } from '../support/fixtures.ts';

const APP_PASSWORD = 'q7/Zr+9@x&k=Lw2!';
const ROOT_PASSWORD = 'root-Pa55word-4711';
const VAPID_KEY = 'BKx1vapid-private-key-material-0042';
const SSH_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  // Made up, shaped like an ed25519 key's body.
  'FakeKeyLine1AAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ',
  'FakeKeyLine2AAAAIHRlc3Qta2V5LWZvci1yZWRhY3Rpb24tdW5pdC10ZXN0cy0wMDAwMD',
  'FakeKeyLine3AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3Qta2V5LWZvci1yZWRhY3Rpb24tdW',
  'FakeKeyLine4==',
  '-----END OPENSSH PRIVATE KEY-----',
  '',
].join('\n');

/** The last lines of a backend that prints its settings as it fails, as `docker logs --tail 20` gives them. */
const LOG_TAIL = [
  '2026-05-01T10:00:00Z backend v2 starting',
  `2026-05-01T10:00:00Z connecting as smartsmoker with password ${APP_PASSWORD}`,
  `2026-05-01T10:00:00Z DB_URL=mongodb://smartsmoker:${encodeURIComponent(APP_PASSWORD)}@mongo:27017/smartsmoker?authSource=admin`,
  `2026-05-01T10:00:01Z {"level":"error","settings":{"vapidPrivateKey":"${VAPID_KEY}"}}`,
  '2026-05-01T10:00:01Z MongoServerError: Authentication failed.',
].join('\n');

describe('redactValues', () => {
  it('replaces a value as it is, URL-encoded and JSON-escaped', () => {
    const quoted = 'a"b\\c-secret';
    const text = `raw ${APP_PASSWORD} url ${encodeURIComponent(APP_PASSWORD)} json ${JSON.stringify(quoted)}`;
    expect(redactValues(text, [APP_PASSWORD, quoted])).toBe('raw *** url *** json "***"');
  });

  it('replaces each line of a multi-line secret (a key file printed line by line), not its BEGIN and END lines', () => {
    const printed = SSH_KEY.split('\n').slice(1, 4).map((l) => `backend | ${l}`).join('\n');
    expect(redactValues(printed, [SSH_KEY])).toBe(['backend | ***', 'backend | ***', 'backend | ***'].join('\n'));
    expect(redactValues('-----BEGIN OPENSSH PRIVATE KEY-----', [SSH_KEY])).toBe('-----BEGIN OPENSSH PRIVATE KEY-----');
  });

  it('replaces the longest value first, and ignores empty ones', () => {
    expect(redactValues('root-Pa55word-4711', ['Pa55word', ROOT_PASSWORD, ''])).toBe('***');
  });

  it('is the database tools\' redaction too', () => {
    expect(redact(`auth as admin:${ROOT_PASSWORD} failed`, ROOT_PASSWORD)).toBe('auth as admin:*** failed');
  });
});

describe('redactShapes', () => {
  it.each([
    ['a password in a URL', 'mongodb://smartsmoker:hunter2xyz@mongo:27017/db', 'mongodb://smartsmoker:***@mongo:27017/db'],
    ['a Discord webhook', 'POST https://discord.com/api/webhooks/123456/abcDEF-token_x failed', 'POST https://discord.com/api/webhooks/123456/*** failed'],
    ['an Authorization header', 'Authorization: Bearer abc.def.ghi-123456', 'Authorization: Bearer ***'],
    ['a bearer token', 'sent Bearer eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9', 'sent Bearer ***'],
    ['a GitHub token', 'token ghp_0123456789abcdefghijABCDEFGHIJ012345 refused', 'token *** refused'],
    ['an AWS access key id', 'key AKIAIOSFODNN7EXAMPLE', 'key ***'],
    ['a Slack token', 'xoxb-123456789012-abcdefghij', '***'],
    ['a JWT', 'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', 'jwt ***'],
    ['an env setting', 'MONGO_APP_PASSWORD=s3cret-value other=1', 'MONGO_APP_PASSWORD=*** other=1'],
    ['a JSON setting', '{"password": "s3cret", "user": "app"}', '{"password": "***", "user": "app"}'],
    ['a quoted YAML setting', "api_key: 'abc123'", "api_key: '***'"],
    ['a quoted value with the other quote in it', `PASSWORD="it's-secret" next`, 'PASSWORD="***" next'],
  ])('%s', (_, text, redacted) => {
    expect(redactShapes(text)).toBe(redacted);
  });

  it('a private key, whole or cut off at the end of a log tail', () => {
    expect(redactShapes(`before\n${SSH_KEY}after`)).toBe('before\n-----BEGIN OPENSSH PRIVATE KEY-----***-----END OPENSSH PRIVATE KEY-----\nafter');
    const cut = SSH_KEY.split('\n').slice(0, 3).join('\n');
    expect(redactShapes(`x\n${cut}`)).toBe('x\n-----BEGIN OPENSSH PRIVATE KEY-----***');
  });

  it('leaves our own messages about secrets, and ordinary log lines, as they are', () => {
    for (const text of [
      'secret MONGO_APP_PASSWORD: environment variable APP_PW is not set on the worker',
      'the database on 10.0.0.5 refused user smartsmoker: wrong password, or no such user',
      'backend (GET http://127.0.0.1:3001/api/ready -> 500): not healthy within 20s',
      'MongoServerError: Authentication failed.',
      'token expired, log in again',
    ]) {
      expect(redactShapes(text)).toBe(text);
    }
  });
});

describe('a log tail', () => {
  it('keeps what it says and loses every secret in it', () => {
    const redacted = redactor([APP_PASSWORD, VAPID_KEY])(LOG_TAIL);
    for (const secret of [APP_PASSWORD, encodeURIComponent(APP_PASSWORD), VAPID_KEY]) expect(redacted).not.toContain(secret);
    expect(redacted.split('\n')).toEqual([
      '2026-05-01T10:00:00Z backend v2 starting',
      '2026-05-01T10:00:00Z connecting as smartsmoker with password ***',
      '2026-05-01T10:00:00Z DB_URL=mongodb://smartsmoker:***@mongo:27017/smartsmoker?authSource=admin',
      '2026-05-01T10:00:01Z {"level":"error","settings":{"vapidPrivateKey":"***"}}',
      '2026-05-01T10:00:01Z MongoServerError: Authentication failed.',
    ]);
  });

  it('loses secrets the worker does not know by their shape', () => {
    const unknown = 'DB_URL=mongodb://other:n0t-known-pw@db:27017\nAuthorization: Bearer sk-live-0123456789';
    expect(redactor([])(unknown)).toBe('DB_URL=mongodb://other:***@db:27017\nAuthorization: Bearer ***');
  });

  it('every string of a notice, nested ones included, and nothing else', () => {
    const notice = { kind: 'rolled-back', durationSeconds: 12, reason: `exited: ${APP_PASSWORD}`, smoke: [{ name: 'api', passed: false, detail: `answered ${APP_PASSWORD}` }] };
    expect(redactStrings(notice, redactor([APP_PASSWORD]))).toEqual({ kind: 'rolled-back', durationSeconds: 12, reason: 'exited: ***', smoke: [{ name: 'api', passed: false, detail: 'answered ***' }] });
  });
});

describe('notify: what reaches Discord', () => {
  let recorder: DiscordRecorder;
  let configFile: string;

  beforeAll(async () => {
    recorder = await startDiscordRecorder();
    const dir = mkdtempSync(join(tmpdir(), 'smokestack-redact-'));
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    writeFileSync(join(dir, 'stack.yml'), 'services: {}\n');
    process.env.REDACT_TEST_ROOT_PASSWORD = ROOT_PASSWORD;
    const config = {
      notifications: { discord: { webhook: { file: file('webhook', `${recorder.webhookUrl}\n`) }, apiBase: recorder.apiBase } },
      environments: {
        'dev-cloud': {
          ...minimalEnvironment(),
          privateKey: file('id_ed25519', SSH_KEY),
          secrets: {
            MONGO_APP_PASSWORD: { file: file('app-password', `${APP_PASSWORD}\n`) },
            ENCODED_MONGO_APP_PASSWORD: { file: join(dir, 'app-password'), encode: 'uri' },
            VAPID_PRIVATE_KEY: { file: file('vapid', VAPID_KEY) },
            // Not readable on this worker: skipped, the notice still goes.
            MISSING: { env: 'REDACT_TEST_NOT_SET' },
          },
        },
        'prod-cloud': { ...minimalEnvironment(), host: 'prod.example', deployDir: '/opt/smart-smoker-prod', secrets: { MONGO_ROOT_PASSWORD: { env: 'REDACT_TEST_ROOT_PASSWORD' } } },
      },
    };
    configFile = file('smokestack.yml', stringify(config));
  });
  afterAll(async () => {
    await recorder?.stop();
    delete process.env.REDACT_TEST_ROOT_PASSWORD;
  });

  it('the secrets it reads: every environment\'s, the webhook and its token, the SSH keys', () => {
    const values = configSecretValues(loadConfig(configFile));
    expect(values).toEqual(expect.arrayContaining([APP_PASSWORD, VAPID_KEY, ROOT_PASSWORD, recorder.webhookUrl, 'fake-token-abc', SSH_KEY]));
  });

  it("a rolled-back notice's log lines and reason, redacted", async () => {
    const notice: Notice = {
      kind: 'rolled-back',
      environment: 'dev-cloud',
      version: 'v2',
      previousVersion: 'v1',
      run: { workflowId: 'deploy-dev-cloud', runId: 'run-1' },
      failedService: 'backend',
      reason: `backend (unhealthy: login as root:${ROOT_PASSWORD} refused): Docker reports it unhealthy`,
      logTail: `${LOG_TAIL}\n${SSH_KEY.split('\n').slice(0, 3).join('\n')}`,
    };
    await notify(configFile, notice);
    const [call] = await recorder.waitForCalls(1);
    const sent = JSON.stringify(call!.body);
    for (const secret of [APP_PASSWORD, encodeURIComponent(APP_PASSWORD), ROOT_PASSWORD, VAPID_KEY, SSH_KEY.split('\n')[2]!]) {
      expect(sent.includes(secret), `${secret} sent to Discord`).toBe(false);
    }
    const fields = call!.body.embeds[0].fields as { name: string; value: string }[];
    expect(fields.find((f) => f.name === 'Reason')?.value).toBe('backend (unhealthy: login as root:*** refused): Docker reports it unhealthy');
    const logs = fields.find((f) => f.name === 'Last log lines')?.value;
    expect(logs).toContain('connecting as smartsmoker with password ***');
    expect(logs).toContain('MongoServerError: Authentication failed.');
    expect(logs).toContain('-----BEGIN OPENSSH PRIVATE KEY-----***');
  });
});
