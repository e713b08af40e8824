// The payload codec and its key ring, without Temporal: what is encrypted,
// which key decrypts, what is refused and what the refusals say.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, ENCODING, KEY_ID_METADATA, NoKeysCodec, PayloadDecryptionError } from '../../src/codec/aes-gcm-codec.ts';
import { dataConverterFromEnv } from '../../src/codec/data-converter.ts';
import { CodecKeyError, encryptionStatus, keyRingFromEnv, MissingCodecKeysError, parseKeyRing, requireCodecKeys, type KeyRing } from '../../src/codec/keys.ts';
import { configSchema } from '../../src/config/schema.ts';
import { EXIT } from '../../src/client/exit-codes.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { REPO_ROOT } from '../support/paths.ts';

const key = () => randomBytes(32).toString('base64');
const ring = (text: string): KeyRing => parseKeyRing(text, 'test');
const INPUT = { environment: 'prod-cloud', version: 'v7.3.1', requestedBy: 'alice@example.com' };
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (payload: Payload): unknown => defaultPayloadConverter.fromPayload(payload);
const str = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('utf8');

/** Every way a thrown error could show a key: the message, and the error as JSON. */
async function refusal(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a refusal');
}

describe('AesGcmCodec', () => {
  it('round-trips a payload, and what it stores holds none of the value', async () => {
    const codec = new AesGcmCodec(ring(`k1:${key()}`));
    const [encrypted] = await codec.encode([payloadOf(INPUT)]);
    expect(str(encrypted!.metadata!.encoding)).toBe(ENCODING);
    expect(str(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    const stored = JSON.stringify(encrypted) + str(encrypted!.data);
    for (const s of Object.values(INPUT)) expect(stored).not.toContain(s);
    // The original metadata (json/plain) is inside the ciphertext too.
    expect(stored).not.toContain('json/plain');
    expect(valueOf((await codec.decode([encrypted!]))[0]!)).toEqual(INPUT);
  });

  it('encrypts the same value differently each time (a fresh IV per payload)', async () => {
    const codec = new AesGcmCodec(ring(`k1:${key()}`));
    const [a, b] = await codec.encode([payloadOf(INPUT), payloadOf(INPUT)]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('passes payloads that are not encrypted through (history written before encryption was on)', async () => {
    const codec = new AesGcmCodec(ring(`k1:${key()}`));
    const plain = payloadOf(INPUT);
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  it('rotation: the first key encrypts, an older key still decrypts', async () => {
    const [oldKey, newKey] = [key(), key()];
    const before = new AesGcmCodec(ring(`2026-01:${oldKey}`));
    const [old] = await before.encode([payloadOf(INPUT)]);
    const after = new AesGcmCodec(ring(`2026-06:${newKey}\n2026-01:${oldKey}`));
    expect(valueOf((await after.decode([old!]))[0]!)).toEqual(INPUT);
    const [fresh] = await after.encode([payloadOf(INPUT)]);
    expect(str(fresh!.metadata![KEY_ID_METADATA])).toBe('2026-06');
    // Only the new key is needed for what is written now.
    expect(valueOf((await new AesGcmCodec(ring(`2026-06:${newKey}`)).decode([fresh!]))[0]!)).toEqual(INPUT);
  });

  it('refuses a payload whose key id is not in the ring, naming the id', async () => {
    const [old] = await new AesGcmCodec(ring(`retired:${key()}`)).encode([payloadOf(INPUT)]);
    const err = await refusal(() => new AesGcmCodec(ring(`current:${key()}`)).decode([old!]));
    expect(err).toBeInstanceOf(PayloadDecryptionError);
    expect(err.message).toContain('"retired"');
    expect(err.message).toContain('not in the key ring (known: "current")');
  });

  it('refuses tampered ciphertext, a moved key id, and a wrong key under the right id', async () => {
    // One key under two ids (a renamed id): only the authenticated id tells a moved payload apart.
    const k = key();
    const codec = new AesGcmCodec(ring(`a:${k}\nb:${k}`));
    const [good] = await codec.encode([payloadOf(INPUT)]);
    const flipped = Buffer.from(good!.data!);
    flipped[20]! ^= 1;
    const tampered = { ...good!, data: flipped };
    const moved = { ...good!, metadata: { ...good!.metadata, [KEY_ID_METADATA]: Buffer.from('b') } };
    for (const bad of [tampered, moved]) {
      const err = await refusal(() => codec.decode([bad]));
      expect(err).toBeInstanceOf(PayloadDecryptionError);
      expect(err.message).toMatch(/failed authentication/);
    }
    const impostor = new AesGcmCodec(ring(`a:${key()}`));
    expect((await refusal(() => impostor.decode([good!]))).message).toMatch(/key "a" failed authentication/);
    expect((await refusal(() => codec.decode([{ ...good!, data: good!.data!.subarray(0, 10) }]))).message).toMatch(/too short/);
    // The genuine payload still decodes: nothing above was a false alarm.
    expect(valueOf((await codec.decode([good!]))[0]!)).toEqual(INPUT);
  });
});

describe('key ring', () => {
  it('reads id:key entries by line or comma, with comments, newest first', () => {
    const [a, b, c] = [key(), key(), key()];
    const parsed = ring(`# rotated 2026-06\nnew:${a}\n\nold:${b}  # until July\n`);
    expect(parsed.keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(parsed.keys[0]!.key.equals(Buffer.from(a, 'base64'))).toBe(true);
    expect(ring(`x:${a}, y:${b},z:${c}`).keys.map((k) => k.id)).toEqual(['x', 'y', 'z']);
  });

  it('refuses bad entries with one clear problem each, quoting no key', async () => {
    const secret16 = randomBytes(16).toString('base64');
    const secret32 = key();
    const err = await refusal(() =>
      parseKeyRing([`short:${secret16}`, `no-colon-${secret32}`, `bad id!:${secret32}`, `dup:${secret32}`, `dup:${key()}`, 'junk:not*base64'].join('\n'), '/etc/keys'),
    );
    expect(err).toBeInstanceOf(CodecKeyError);
    expect(err.message).toContain('/etc/keys');
    expect(err.message).toContain('key "short": 16 bytes, AES-256 needs 32');
    expect(err.message).toContain('entry 2: expected <id>:<base64 key>, found no ":"');
    expect(err.message).toContain('entry 3: the key id must be');
    expect(err.message).toContain('entry 5: key id "dup" appears twice');
    expect(err.message).toContain('key "junk": not base64');
    for (const secret of [secret16, secret32, secret32.slice(0, 12)]) expect(JSON.stringify({ ...err, message: err.message, stack: err.stack })).not.toContain(secret);
    expect((await refusal(() => parseKeyRing('# nothing\n', 'empty'))).message).toContain('no keys');
  });

  it('comes from $SMOKESTACK_CODEC_KEYS_FILE or $SMOKESTACK_CODEC_KEYS; neither means no encryption', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `lab:${key()}\n`, { mode: 0o600 });
    expect(keyRingFromEnv({ SMOKESTACK_CODEC_KEYS_FILE: file })?.keys.map((k) => k.id)).toEqual(['lab']);
    expect(keyRingFromEnv({ SMOKESTACK_CODEC_KEYS: `env:${key()}` })?.source).toBe('$SMOKESTACK_CODEC_KEYS');
    expect(keyRingFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({}).payloadCodecs).toEqual([expect.any(NoKeysCodec)]);
    expect(dataConverterFromEnv({ SMOKESTACK_CODEC_KEYS_FILE: file }).payloadCodecs).toEqual([expect.any(AesGcmCodec)]);
    expect((await refusal(() => keyRingFromEnv({ SMOKESTACK_CODEC_KEYS_FILE: join(dir, 'missing') }))).message).toContain('cannot read the key file');
    expect((await refusal(() => keyRingFromEnv({ SMOKESTACK_CODEC_KEYS_FILE: file, SMOKESTACK_CODEC_KEYS: `x:${key()}` }))).message).toContain('both are set');
  });

  it('describes whether encryption is on, naming key ids and never keys', () => {
    const [a, b] = [key(), key()];
    expect(encryptionStatus({})).toMatchObject({ on: false, description: expect.stringContaining('off') });
    const on = encryptionStatus({ SMOKESTACK_CODEC_KEYS: `new:${a},old:${b}` });
    expect(on).toMatchObject({ on: true, encryptsWith: 'new', decryptsWith: ['new', 'old'], source: '$SMOKESTACK_CODEC_KEYS' });
    expect(on.description).toBe('payload encryption: on, AES-256-GCM with key "new" (decrypts "new", "old"), keys from $SMOKESTACK_CODEC_KEYS');
    expect(JSON.stringify(on)).not.toContain(a.slice(0, 12));
  });
});

describe('a process without keys', () => {
  const LINE = /^a payload is encrypted with key "k1" and this process has no codec keys: set \$SMOKESTACK_CODEC_KEYS_FILE \(a file of <id>:<base64 key> lines\) or \$SMOKESTACK_CODEC_KEYS \(docs\/encryption\.md\)$/;

  it('sends payloads as they are, and reads plain ones', async () => {
    const plain = [payloadOf(INPUT), payloadOf('v1')];
    const codec = new NoKeysCodec();
    expect(await codec.encode(plain)).toEqual(plain);
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('meets an encrypted payload with one line naming the key it needs and what to set, said once per key', async () => {
    const warned: string[] = [];
    const codec = new NoKeysCodec((line) => warned.push(line));
    const [encrypted] = await new AesGcmCodec(ring(`k1:${key()}`)).encode([payloadOf(INPUT)]);
    for (let attempt = 0; attempt < 3; attempt++) {
      const err = await refusal(() => codec.decode([payloadOf('plain first'), encrypted!]));
      expect(err).toBeInstanceOf(MissingCodecKeysError);
      expect(err.message).toMatch(LINE);
    }
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(LINE);
  });
});

describe('codec.required', () => {
  const REQUIRED = 'no codec keys, and the configuration requires them (codec.required): set $SMOKESTACK_CODEC_KEYS_FILE (a file of <id>:<base64 key> lines) or $SMOKESTACK_CODEC_KEYS (docs/encryption.md)';
  const required = labConfigWith((c) => (c.codec = { required: true }));
  // Nothing listens here: a command that got past its checks exits 6 (unreachable).
  const NO_TEMPORAL = { TEMPORAL_ADDRESS: '127.0.0.1:1', SMOKESTACK_CODEC_KEYS: '', SMOKESTACK_CODEC_KEYS_FILE: '' };

  it('is off by default, and refuses a typo', () => {
    expect(configSchema.shape.codec.parse({})).toEqual({ required: false });
    expect(() => configSchema.shape.codec.parse({ require: true })).toThrow();
    expect(() => requireCodecKeys({}, {})).not.toThrow();
    expect(() => requireCodecKeys({ codec: { required: false } }, {})).not.toThrow();
    expect(() => requireCodecKeys({ codec: { required: true } }, { SMOKESTACK_CODEC_KEYS: `k:${key()}` })).not.toThrow();
    expect(() => requireCodecKeys({ codec: { required: true } }, {})).toThrow(REQUIRED);
  });

  it('the CLI refuses to start without keys: one line, exit 2; with keys it goes on', async () => {
    const refused = await runCli(['status', 'dev-cloud', '--config', required], NO_TEMPORAL);
    expect(refused.stderr.slice(refused.stderr.indexOf('error: '))).toBe(`error: ${REQUIRED}\n`);
    expect(refused.code).toBe(EXIT.invalid);
    const keyed = await runCli(['status', 'dev-cloud', '--config', required], { ...NO_TEMPORAL, SMOKESTACK_CODEC_KEYS: `k:${key()}` });
    expect(keyed.code).toBe(EXIT.unreachable);
  });

  it('the worker refuses to start without keys: one line, exit 2', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/worker.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...NO_TEMPORAL, SMOKESTACK_CONFIG: required, SMOKESTACK_METRICS_ADDRESS: '' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe(`smokestack worker: ${REQUIRED}\n`);
    expect(run.status).toBe(2);
  });
});
