// The data converter every smokestack client and worker uses: the AES-GCM
// codec when keys are configured; without keys, a codec that leaves what it
// sends as it is (the lab's tests and a first install run without
// encryption) and refuses an encrypted payload with a line naming the key it
// needs. Clients and workers must agree: a payload encrypted by one is
// refused by a process without its key.
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, NoKeysCodec } from './aes-gcm-codec.ts';
import { FAILURE_CONVERTER_PATH } from './failure-converter-path.ts';
import { keyRingFromEnv, type KeyRing } from './keys.ts';

/** `warn` hears, once per key id, that a keyless process met an encrypted payload. */
export function dataConverterFor(ring: KeyRing | undefined, warn?: (line: string) => void): DataConverter {
  // With keys, failure messages and stack traces too (failure-converter.ts): they hold remote stderr and log lines.
  return { payloadCodecs: [ring ? new AesGcmCodec(ring) : new NoKeysCodec(warn)], ...(ring && { failureConverterPath: FAILURE_CONVERTER_PATH }) };
}

/** As the environment configures it ($SMOKESTACK_CODEC_KEYS_FILE or $SMOKESTACK_CODEC_KEYS). */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env, warn?: (line: string) => void): DataConverter {
  return dataConverterFor(keyRingFromEnv(env), warn);
}
