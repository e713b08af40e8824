// `smokestack codec-server`: Temporal's remote codec protocol over HTTP, so
// the Web UI (and `temporal workflow show --codec-endpoint`) can show
// encrypted payloads decoded, with keys that never leave this process.
//
// The protocol: POST .../encode and POST .../decode (only the last path
// segment counts, so `/{namespace}/decode` works too), a JSON body
// `{"payloads":[{"metadata":{"<key>":"<base64>"},"data":"<base64>"}]}` (the
// Payloads message in protobuf's JSON form), the same shape back; 400 for a
// body or payload it cannot handle. The Web UI calls it from the browser, so
// its origin gets CORS answers, credentials included.
//
// Anyone who can reach it can decrypt: it listens on loopback unless told
// otherwise, and must sit behind authentication if it is ever exposed.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** A Temporal batch can be large; a body past this is refused (413), not buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  host: string;
  /** Origins (scheme://host:port) allowed to call from a browser: the Web UI's. */
  origins: string[];
  log?: (line: string) => void;
}

export interface RunningCodecServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Payloads in protobuf's JSON form: every bytes field in base64. */
interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

class BadRequest extends Error {}

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const origins = new Set(options.origins.map(originOf));
  const server = createServer((req, res) => {
    handle(req, res, options.codec, origins).catch((err: unknown) => {
      // A bad body or a codec failure (unknown key id, tampered payload) is a 400, as the protocol says; no message holds key material.
      options.log?.(`${req.method} ${req.url}: 400 ${(err as Error).message}`);
      if (!res.headersSent) send(res, 400, { error: (err as Error).message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    server,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, codec: PayloadCodec, origins: Set<string>): Promise<void> {
  const origin = req.headers.origin;
  if (origin && origins.has(origin)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
  const operation = new URL(req.url ?? '/', 'http://codec').pathname.split('/').pop();
  if (operation !== 'encode' && operation !== 'decode') return send(res, 404, { error: 'not found: POST .../encode or .../decode' });
  if (req.method === 'OPTIONS') {
    // The browser's preflight, before a JSON POST with x-namespace.
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.writeHead(204).end();
    return;
  }
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST, OPTIONS');
    return send(res, 405, { error: `${req.method} not allowed: POST` });
  }
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
  const payloads = parsePayloads(body);
  const out = operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
  send(res, 200, { payloads: out.map(toJson) });
}

/** The body, or undefined once it passes the limit. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parsePayloads(body: string): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest('the body is not JSON');
  }
  const payloads = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new BadRequest('expected {"payloads": [...]}');
  return payloads.map((p: JsonPayload, i) => {
    if (!p || typeof p !== 'object') throw new BadRequest(`payloads[${i}] is not an object`);
    return {
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, fromBase64(v, `payloads[${i}].metadata.${k}`)])),
      data: fromBase64(p.data ?? '', `payloads[${i}].data`),
    };
  });
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function fromBase64(value: unknown, where: string): Uint8Array {
  // Proto JSON allows either base64 alphabet; Buffer.from would skip anything else without a word.
  if (typeof value !== 'string' || !BASE64.test(value)) throw new BadRequest(`${where} is not base64`);
  return Buffer.from(value, 'base64');
}

function toJson(payload: Payload): JsonPayload {
  const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');
  return { metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(payload.data) };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

/** A browser's Origin header is scheme://host[:port], no path: the Web UI's URL cut to that. */
export function originOf(url: string): string {
  return new URL(url).origin;
}

/** The command: serves until SIGINT or SIGTERM. */
export async function runCodecServer(
  opts: { port: number; host: string; origins: string[] },
  write: (line: string) => void,
): Promise<void> {
  const [{ keyRingFromEnv, encryptionStatus, KEYS_ENV, KEYS_FILE_ENV }, { AesGcmCodec }, { InputError }] = await Promise.all([
    import('../codec/keys.ts'),
    import('../codec/aes-gcm-codec.ts'),
    import('./input.ts'),
  ]);
  const ring = keyRingFromEnv();
  if (!ring) throw new InputError(`no codec keys: set $${KEYS_FILE_ENV} (a file of <id>:<base64 key> lines) or $${KEYS_ENV}`);
  const running = await startCodecServer({ ...opts, codec: new AesGcmCodec(ring), log: (line) => console.error(line) });
  write(`codec server on ${running.url} (POST /encode, /decode), for the Web UI at ${opts.origins.join(', ')}`);
  write(encryptionStatus().description);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  await running.close();
}
