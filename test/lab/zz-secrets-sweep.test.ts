// Runs last (see test/support/sequencer.ts): no secret value is in any
// workflow history of the whole run (every workflow in the namespace, not
// only those a test kept a handle to), nor in anything the CLI or a worker
// printed, nor in anything sent to Discord. The secrets: the lab's secret
// files, the body of every private key (the SSH key the workers use, the
// approvers' signing keys), and the codec keys' bytes.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { parseKeyRing } from '../../src/codec/keys.ts';
import { historyAsText, listRuns } from '../support/history.ts';
import { LAB_CACHE } from '../support/paths.ts';

const SECRETS = join(LAB_CACHE, 'lab/secrets');
const SSH_KEY = join(LAB_CACHE, 'lab/ssh/id_ed25519');
// Public halves, and the list of who may sign.
const PUBLIC = /\.pub$|(^|\/)allowed_signers$/;

let client: Client;
beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
});
afterAll(async () => client?.connection.close());

/** A secret to look for, and where it came from (what a failure names: never the secret). */
interface Secret {
  what: string;
  text: string;
}

/**
 * A private key's body, line by line and as one line (a log may unwrap it).
 * Not an OpenSSH key's first line: it is the same for every ed25519 key
 * ("openssh-key-v1", no cipher, one key of type ssh-ed25519).
 */
function keyBody(what: string, text: string): Secret[] {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('-----'));
  return [
    { what: `${what}, its body`, text: lines.join('') },
    ...lines.flatMap((l, i) => (l.startsWith('b3BlbnNzaC1rZXktdjE') ? [] : [{ what: `${what}, line ${i + 1} of its body`, text: l }])),
  ];
}

/** Every file under the lab's secrets folder (the approvers' keys are in a folder of their own), by path relative to it. */
const secretFiles = (): string[] =>
  readdirSync(SECRETS, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(SECRETS, f)).isFile() && !PUBLIC.test(f));

/** The codec keys the lab's ring holds, as bytes. */
const codecKeys = (): Buffer[] => parseKeyRing(readFileSync(join(SECRETS, 'codec-keys'), 'utf8'), 'lab').keys.map((k) => k.key);

/** Every lab secret as it could appear in text: raw, URL-encoded, the webhook's token, a key's body, a codec key as base64 and hex. */
function labSecrets(): Secret[] {
  const fromFiles = secretFiles().flatMap((f): Secret[] => {
    const value = readFileSync(join(SECRETS, f), 'utf8').trim();
    if (f === 'discord-webhook-url') return [{ what: 'the Discord webhook\'s token', text: value.split('/').pop()! }];
    if (value.includes('PRIVATE KEY-----')) return keyBody(`the private key secrets/${f}`, value);
    return [
      { what: `secrets/${f}`, text: value },
      { what: `secrets/${f}, URL-encoded`, text: encodeURIComponent(value) },
    ];
  });
  const codec = codecKeys().flatMap((key, i) => [
    { what: `codec key ${i + 1} in base64`, text: key.toString('base64') },
    { what: `codec key ${i + 1} in hex`, text: key.toString('hex') },
  ]);
  return [...fromFiles, ...keyBody('the SSH key ssh/id_ed25519', readFileSync(SSH_KEY, 'utf8')), ...codec];
}

let known: { secrets: Secret[]; keys: Buffer[] } | undefined;

/** Which secrets are in this text (or these bytes: a codec key's raw bytes too), by where they came from; none: undefined. */
function leaked(text: string, bytes: Buffer = Buffer.from(text)): string | undefined {
  known ??= { secrets: labSecrets(), keys: codecKeys() };
  const found = [
    ...known.secrets.filter((s) => text.includes(s.text)).map((s) => s.what),
    ...known.keys.flatMap((k, i) => (bytes.includes(k) ? [`codec key ${i + 1}, raw bytes`] : [])),
  ];
  return found.length ? found.join('; ') : undefined;
}

it('knows the secrets it looks for', () => {
  const secrets = labSecrets();
  expect(secrets.length).toBeGreaterThanOrEqual(10);
  expect(secrets.filter((s) => s.text.length < 16).map((s) => s.what), 'too short to look for').toEqual([]);
  expect(secrets.some((s) => s.what.startsWith('the SSH key'))).toBe(true);
  expect(codecKeys().length).toBeGreaterThanOrEqual(1);
});

it('no secret is in any workflow history of the run', async () => {
  let histories = 0;
  let deploysWithPlans = 0;
  for await (const run of listRuns(client)) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    const text = historyAsText(history);
    histories++;
    if (text.includes('deployDir')) deploysWithPlans++; // decoded: base64 would hide this, and a secret
    const bytes = Buffer.from(proto.temporal.api.history.v1.History.encode(history).finish());
    expect(leaked(text, bytes), `a secret in the history of ${run.workflowId} ${run.runId}`).toBeUndefined();
  }
  // The sweep saw the suite's real deploys, not an empty namespace.
  expect(histories).toBeGreaterThan(20);
  expect(deploysWithPlans).toBeGreaterThan(10);
});

it('no secret is in anything the CLI or a worker printed', () => {
  const dir = inject('outputDir');
  const files = readdirSync(dir);
  const bytes = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
  const output = bytes.toString('utf8');
  expect(leaked(output, bytes), 'a secret in the output').toBeUndefined();
  // The sweep saw the suite's output, not an empty folder.
  expect(files).toContain('cli.log');
  expect(files.some((f) => f.startsWith('worker-process-'))).toBe(true);
  expect(output).toContain('uploadStack'); // the workers did log their work...
  expect(output).toContain('succeeded: '); // ...and the CLI its deploys
});

it('no secret is in anything sent to Discord', () => {
  // The tests' recorders (test/support/discord-recorder.ts) keep what they received with the run's output...
  const dir = inject('outputDir');
  const recorded = readdirSync(dir)
    .filter((f) => /^discord-\d+\.jsonl$/.test(f))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
  // ...and the lab's stand-in (lab/discord/standin.mjs) everything sent to it, by every run: this run's.
  const standIn = join(LAB_CACHE, 'lab/discord.jsonl');
  const since = inject('runStartedAt');
  const lab = existsSync(standIn)
    ? readFileSync(standIn, 'utf8').split('\n').filter((l) => l && Date.parse((JSON.parse(l) as { at: string }).at) >= since)
    : [];
  const payloads = [...recorded, ...lab];
  expect(payloads.length, 'no Discord payload to sweep').toBeGreaterThan(0);
  for (const payload of payloads) {
    // A recorder keeps the body ({ embeds: [...] }), the stand-in the embed; either names the notice by its title.
    const sent = JSON.parse(payload) as { title?: string; embeds?: { title?: string }[] };
    expect(leaked(payload), `a secret in the Discord notice "${sent.embeds?.[0]?.title ?? sent.title}"`).toBeUndefined();
  }
});
