// The data converter every smokestack client and worker uses: the AES-GCM
// codec when keys are configured, Temporal's default when none are (the lab's
// tests and a first install run without encryption). Clients and workers must
// agree: a payload encrypted by one is refused by a process without its key.
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec.ts';
import { keyRingFromEnv, type KeyRing } from './keys.ts';

export function dataConverterFor(ring: KeyRing | undefined): DataConverter | undefined {
  return ring ? { payloadCodecs: [new AesGcmCodec(ring)] } : undefined;
}

/** As the environment configures it ($SMOKESTACK_CODEC_KEYS_FILE or $SMOKESTACK_CODEC_KEYS). */
export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter | undefined {
  return dataConverterFor(keyRingFromEnv(env));
}
