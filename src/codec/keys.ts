// The payload encryption keys: a key ring read from a file
// ($SMOKESTACK_CODEC_KEYS_FILE) or from $SMOKESTACK_CODEC_KEYS, never from
// smokestack.yml (the config file is plain text in a repository).
//
// One entry per line or comma: `<id>:<base64 of 32 random bytes>`; `#`
// starts a comment. The FIRST entry encrypts; every entry decrypts, so a
// rotation puts the new key first and keeps the old ones until no history
// that needs them is kept (see docs/encryption.md).
//
// Errors name the source, the entry and the key id, never a key's text.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/load.ts';

export const KEYS_FILE_ENV = 'SMOKESTACK_CODEC_KEYS_FILE';
export const KEYS_ENV = 'SMOKESTACK_CODEC_KEYS';

/** AES-256: a key is 32 bytes. */
export const KEY_BYTES = 32;

export interface CodecKey {
  id: string;
  key: Buffer;
}

export interface KeyRing {
  /** Where the keys came from: the file's path or the variable's name (for messages; never the keys). */
  source: string;
  /** Newest first: keys[0] encrypts. */
  keys: CodecKey[];
}

/** A key ring that cannot be used; a configuration error, so the CLI exits with its "invalid" code. */
export class CodecKeyError extends ConfigError {
  constructor(source: string, problems: string[]) {
    super(source, problems);
    this.name = 'CodecKeyError';
  }
}

// Goes into payload metadata and error messages: keep it short and plain.
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
// Standard base64 with its padding: Buffer.from would silently skip anything else.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Parses key ring text; every problem is reported at once, none of them quoting a key. */
export function parseKeyRing(text: string, source: string): KeyRing {
  const problems: string[] = [];
  const keys: CodecKey[] = [];
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${where}: expected <id>:<base64 key>, found no ":"`);
      return;
    }
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID.test(id)) {
      problems.push(`${where}: the key id must be 1-64 of A-Z a-z 0-9 . _ - (found ${id.length} characters)`);
      return;
    }
    if (keys.some((k) => k.id === id)) {
      problems.push(`${where}: key id "${id}" appears twice`);
      return;
    }
    if (!BASE64.test(encoded)) {
      problems.push(`key "${id}": not base64 (generate one with: openssl rand -base64 ${KEY_BYTES})`);
      return;
    }
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== KEY_BYTES) {
      problems.push(`key "${id}": ${key.length} bytes, AES-256 needs ${KEY_BYTES} (openssl rand -base64 ${KEY_BYTES})`);
      return;
    }
    keys.push({ id, key });
  });
  if (!problems.length && !keys.length) problems.push('no keys (expected <id>:<base64 key> entries)');
  if (problems.length) throw new CodecKeyError(source, problems);
  return { source, keys };
}

/**
 * The key ring the environment names, or undefined when it names none: then
 * no codec is used and payloads travel as before (plain JSON).
 */
export function keyRingFromEnv(env: NodeJS.ProcessEnv = process.env): KeyRing | undefined {
  const file = env[KEYS_FILE_ENV];
  const inline = env[KEYS_ENV];
  if (file && inline) throw new CodecKeyError(`$${KEYS_FILE_ENV} and $${KEYS_ENV}`, ['both are set: set one, so it is clear which keys are in use']);
  if (inline) return parseKeyRing(inline, `$${KEYS_ENV}`);
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CodecKeyError(file, [`cannot read the key file ($${KEYS_FILE_ENV}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseKeyRing(text, file);
}

/**
 * Codec keys are needed and there are none: one line naming what to set, so
 * the CLI prints it as is (exit 2) and the worker stops with it.
 */
export class MissingCodecKeysError extends Error {
  constructor(why: string) {
    super(`${why}: set $${KEYS_FILE_ENV} (a file of <id>:<base64 key> lines) or $${KEYS_ENV} (docs/encryption.md)`);
    this.name = 'MissingCodecKeysError';
  }
}

/** With `codec: { required: true }` in the configuration, no process of ours starts without keys (nothing is written to history in the clear). */
export function requireCodecKeys(config: { codec?: { required: boolean } }, env: NodeJS.ProcessEnv = process.env): void {
  if (config.codec?.required && !keyRingFromEnv(env)) throw new MissingCodecKeysError('no codec keys, and the configuration requires them (codec.required)');
}

export interface EncryptionStatus {
  on: boolean;
  /** One line for an operator (doctor, the codec server, the worker): never key material. */
  description: string;
  source?: string;
  encryptsWith?: string;
  decryptsWith?: string[];
}

/** Whether payloads are encrypted, and with what, as the environment configures it. */
export function encryptionStatus(env: NodeJS.ProcessEnv = process.env): EncryptionStatus {
  const ring = keyRingFromEnv(env);
  if (!ring) return { on: false, description: `payload encryption: off (set $${KEYS_FILE_ENV} or $${KEYS_ENV} to turn it on)` };
  const ids = ring.keys.map((k) => k.id);
  return {
    on: true,
    source: ring.source,
    encryptsWith: ids[0],
    decryptsWith: ids,
    description: `payload encryption: on, AES-256-GCM with key "${ids[0]}" (decrypts ${ids.map((id) => `"${id}"`).join(', ')}), keys from ${ring.source}`,
  };
}
