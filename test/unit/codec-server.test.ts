// The codec server speaks Temporal's remote codec protocol as the Web UI
// uses it: a CORS preflight from the UI's origin, then a JSON POST with
// x-namespace; payloads in protobuf's JSON form (every bytes field base64).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec.ts';
import { parseKeyRing } from '../../src/codec/keys.ts';
import { startCodecServer, type RunningCodecServer } from '../../src/client/codec-server-command.ts';

const UI = 'http://localhost:8233';
const codec = new AesGcmCodec(parseKeyRing(`ui-test:${randomBytes(32).toString('base64')}`, 'test'));
const INPUT = { environment: 'prod-cloud', version: 'v9', requestedBy: 'bob' };

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}
const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');
const toJson = (p: Payload): JsonPayload => ({ metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(p.data) });
const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});

let server: RunningCodecServer;
beforeAll(async () => {
  server = await startCodecServer({ codec, port: 0, host: '127.0.0.1', origins: [`${UI}/namespaces/default`] });
});
afterAll(async () => server?.close());

/** What the Web UI's fetch sends (it adds the namespace; credentials when configured). */
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: UI, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('codec server', () => {
  it("answers the UI's preflight from its origin, with credentials", async () => {
    const res = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.split(/,\s*/)).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    // Another site gets no CORS grant: the browser will not let it read the answer.
    const elsewhere = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('decodes what a worker encrypted, as the UI posts it', async () => {
    const stored = await codec.encode([defaultPayloadConverter.toPayload(INPUT), defaultPayloadConverter.toPayload('v9')]);
    const res = await post('/decode', { payloads: stored.map(toJson) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    // Proto JSON both ways: metadata values base64 too (json/plain, not the raw string).
    expect(payloads[0]!.metadata.encoding).toBe(Buffer.from('json/plain').toString('base64'));
    expect(payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([INPUT, 'v9']);
  });

  it('encodes what the UI sends (a signal typed in), which a worker then decodes; any path ending in /encode', async () => {
    const res = await post('/default/encode', { payloads: [toJson(defaultPayloadConverter.toPayload(INPUT))] });
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(payloads[0]!.data, 'base64').toString()).not.toContain('prod-cloud');
    const [decoded] = await codec.decode(payloads.map(fromJson));
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(INPUT);
  });

  it('refuses with 400 a body it cannot read and a payload it cannot decrypt, saying why', async () => {
    expect((await post('/decode', 'not json')).status).toBe(400);
    expect((await post('/decode', { nothing: [] })).status).toBe(400);
    const [foreign] = await new AesGcmCodec(parseKeyRing(`someone-else:${randomBytes(32).toString('base64')}`, 'x')).encode([defaultPayloadConverter.toPayload(1)]);
    const res = await post('/decode', { payloads: [toJson(foreign!)] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toContain('"someone-else", which is not in the key ring');
    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await fetch(`${server.url}/other`, { method: 'POST' })).status).toBe(404);
  });
});
