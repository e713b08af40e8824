// A Temporal PayloadCodec that encrypts every payload (workflow and activity
// inputs, results, queries, memos, summaries) with AES-256-GCM before it
// leaves the process, so Temporal's history holds ciphertext. Search
// attributes are not payloads the codec sees: they stay readable, by design
// (the Web UI filters on them).
//
// An encrypted payload: metadata `encoding: binary/encrypted` and
// `encryption-key-id: <id>`; data = 12-byte IV | ciphertext | 16-byte tag of
// the original payload serialized as protobuf. The key id is authenticated
// too (GCM's additional data): moving a payload to another key's id fails
// like any other tampering.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
// A default import: Node's ESM loader finds no named exports in this CommonJS package.
import proto from '@temporalio/proto';
import { MissingCodecKeysError, type CodecKey, type KeyRing } from './keys.ts';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

export const ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that cannot be decrypted: names the key id, never key material. */
export class PayloadDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadDecryptionError';
  }
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class AesGcmCodec implements PayloadCodec {
  private readonly byId: Map<string, CodecKey>;
  private readonly current: CodecKey;

  constructor(ring: KeyRing) {
    if (!ring.keys[0]) throw new Error('a key ring needs at least one key');
    this.current = ring.keys[0];
    this.byId = new Map(ring.keys.map((k) => [k.id, k]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    // Payloads written before encryption was turned on pass through: history keeps them.
    return payloads.map((payload) => (text(payload.metadata?.encoding) === ENCODING ? this.decrypt(payload) : payload));
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id, 'utf8'));
    const sealed = Buffer.concat([cipher.update(PayloadMessage.encode(payload).finish()), cipher.final()]);
    return {
      metadata: { encoding: Buffer.from(ENCODING), [KEY_ID_METADATA]: Buffer.from(id, 'utf8') },
      data: Buffer.concat([iv, sealed, cipher.getAuthTag()]),
    };
  }

  private decrypt(payload: Payload): Payload {
    const id = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!id) throw new PayloadDecryptionError(`an encrypted payload has no ${KEY_ID_METADATA} metadata`);
    const entry = this.byId.get(id);
    if (!entry) {
      throw new PayloadDecryptionError(
        `a payload is encrypted with key "${id}", which is not in the key ring (known: ${[...this.byId.keys()].map((k) => `"${k}"`).join(', ')}); add it back to decrypt`,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`a payload encrypted with key "${id}" is too short to be one`);
    const decipher = createDecipheriv('aes-256-gcm', entry.key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      // OpenSSL's own message says nothing useful ("Unsupported state or unable to authenticate data").
      throw new PayloadDecryptionError(`a payload encrypted with key "${id}" failed authentication: it was altered, or the key "${id}" is not the one it was encrypted with`);
    }
    return PayloadMessage.decode(plain);
  }
}

/**
 * The codec of a process without keys: what it sends stays as it is, and an
 * encrypted payload it meets is refused with one line naming the key it
 * needs (the payload converter would say only "Unknown encoding:
 * binary/encrypted"). `warn` hears about each key id once: a worker retries
 * the workflow task, and its log says why once.
 */
export class NoKeysCodec implements PayloadCodec {
  private readonly warned = new Set<string>();

  constructor(private readonly warn?: (line: string) => void) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads;
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    const encrypted = payloads.find((payload) => text(payload.metadata?.encoding) === ENCODING);
    if (!encrypted) return payloads;
    const id = text(encrypted.metadata?.[KEY_ID_METADATA]) ?? '(none named)';
    const error = new MissingCodecKeysError(`a payload is encrypted with key "${id}" and this process has no codec keys`);
    if (!this.warned.has(id)) {
      this.warned.add(id);
      this.warn?.(error.message);
    }
    throw error;
  }
}
