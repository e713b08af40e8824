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
// Whoever it answers can read every run's inputs, so it answers only:
// - requests that carry its token, as `Authorization: Bearer <token>` (the
//   Temporal CLI's --codec-auth) or as the first path segment
//   (`/<token>/decode`: the dev server's Web UI has no login, so it cannot
//   send a header, but its codec endpoint can be `http://HOST:PORT/<token>`);
// - requests whose Host is the address it listens on: a page whose own name
//   was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name;
// - /encode only when started with --allow-encode: it makes ciphertext the
//   worker trusts as its own.
// Neither the token nor a request's path (which may hold it) is ever logged,
// and no answer names a key id.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { tokenChecker } from './codec-token.ts';

/** A Temporal batch can be large; a body past this is refused (413), not buffered. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';

export interface CodecServerOptions {
  codec: PayloadCodec;
  port: number;
  host: string;
  /** Origins (scheme://host:port) allowed to call from a browser: the Web UI's. */
  origins: string[];
  /** What every request must carry: `Authorization: Bearer <token>`, or `/<token>/` before the operation. */
  token: string;
  /** Whether POST .../encode answers (off: it would make valid ciphertext for whoever holds the token). */
  allowEncode?: boolean;
  /** Host headers answered besides the listen address's: the names a proxy in front (tailscale serve) passes on. */
  allowedHosts?: string[];
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

/** What the server makes of a request before reading its body. */
export type Verdict =
  | { answer: 'refuse'; status: number; error: string; headers?: Record<string, string> }
  | { answer: 'preflight' }
  | { answer: 'run'; operation: 'encode' | 'decode' };

export interface RequestFacts {
  method: string;
  /** The request target: path and query, as sent. */
  url: string;
  host: string | undefined;
  authorization: string | undefined;
}

export interface Policy {
  /** Host header values answered, lower case (see hostsAnsweredTo). */
  hosts: ReadonlySet<string>;
  tokenMatches: (candidate: string | undefined) => boolean;
  allowEncode: boolean;
}

/**
 * The server's decisions, in order: a foreign Host is misdirected (421); a
 * browser's preflight is answered without the token (a preflight never
 * carries credentials; it reveals nothing); everything else needs the
 * token (401), then a codec path (404), POST (405), and for /encode
 * --allow-encode (403).
 */
export function judge(req: RequestFacts, policy: Policy): Verdict {
  if (!req.host || !policy.hosts.has(req.host.toLowerCase())) {
    return { answer: 'refuse', status: 421, error: 'this server answers only to the address it listens on (Host header)' };
  }
  let segments: string[];
  try {
    segments = new URL(req.url, 'http://codec').pathname.split('/').filter(Boolean);
  } catch {
    return notFound();
  }
  const operation = segments.at(-1);
  const codecPath = operation === 'encode' || operation === 'decode';
  if (req.method === 'OPTIONS') return codecPath ? { answer: 'preflight' } : notFound();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? '')?.[1];
  const inPath = segments.length >= 2 ? segments[0] : undefined;
  // Either will do; both are checked, each in constant time.
  const byHeader = policy.tokenMatches(bearer);
  const byPath = policy.tokenMatches(inPath);
  if (!byHeader && !byPath) {
    return {
      answer: 'refuse',
      status: 401,
      error: 'the codec server needs its token: Authorization: Bearer <token>, or /<token>/decode',
      headers: { 'WWW-Authenticate': 'Bearer realm="smokestack codec"' },
    };
  }
  if (!codecPath) return notFound();
  if (req.method !== 'POST') return { answer: 'refuse', status: 405, error: `${req.method} not allowed: POST`, headers: { Allow: 'POST, OPTIONS' } };
  if (operation === 'encode' && !policy.allowEncode) {
    return { answer: 'refuse', status: 403, error: '/encode is off: start the codec server with --allow-encode to let the Web UI encrypt what it sends' };
  }
  return { answer: 'run', operation };
}

const notFound = (): Verdict => ({ answer: 'refuse', status: 404, error: 'not found: POST .../encode or .../decode' });

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];
const isLoopback = (address: string) => address === 'localhost' || address === '::1' || /^127\./.test(address);
const isWildcard = (address: string) => address === '0.0.0.0' || address === '::' || address === '';

/**
 * The Host header values that name this server: its listen address and port;
 * for loopback also localhost, 127.0.0.1 and [::1]; for every interface
 * (0.0.0.0, ::) each interface's address; and whatever is allowed besides.
 */
export function hostsAnsweredTo(
  listen: { host: string; address: string; port: number },
  allowed: string[] = [],
  interfaceAddresses: () => string[] = localAddresses,
): Set<string> {
  const names = new Set<string>([listen.host, listen.address]);
  if ([listen.host, listen.address].some(isLoopback)) LOOPBACK_NAMES.forEach((n) => names.add(n));
  if ([listen.host, listen.address].some(isWildcard)) [...LOOPBACK_NAMES, ...interfaceAddresses()].forEach((n) => names.add(n));
  const hosts = new Set<string>(allowed.map((h) => h.toLowerCase()));
  for (const name of names) {
    if (isWildcard(name)) continue;
    const bracketed = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
    hosts.add(`${bracketed.toLowerCase()}:${listen.port}`);
    // A browser leaves out the scheme's default port.
    if (listen.port === 80) hosts.add(bracketed.toLowerCase());
  }
  return hosts;
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const origins = new Set(options.origins.map(originOf));
  const policy: Policy = { hosts: new Set(), tokenMatches: tokenChecker(options.token), allowEncode: options.allowEncode ?? false };
  const server = createServer((req, res) => {
    // Never the path: it may hold the token (or a near miss of it).
    const what = `${req.method} from ${req.socket.remoteAddress}`;
    handle(req, res, options.codec, origins, policy, (line) => options.log?.(`${what}: ${line}`)).catch((err: unknown) => {
      // A body it cannot read says why; a codec failure (unknown key id, tampered payload) is logged here, and
      // answered without naming key ids: the caller learns nothing about which keys this server holds.
      const message = err instanceof BadRequest ? err.message : 'a payload could not be decoded with this server\'s keys (the codec server\'s log says why)';
      options.log?.(`${what}: 400 ${(err as Error).message}`);
      if (!res.headersSent) send(res, 400, { error: message });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  policy.hosts = hostsAnsweredTo({ host: options.host, address, port }, options.allowedHosts);
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    server,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  codec: PayloadCodec,
  origins: Set<string>,
  policy: Policy,
  log: (line: string) => void,
): Promise<void> {
  const verdict = judge({ method: req.method ?? 'GET', url: req.url ?? '/', host: req.headers.host, authorization: req.headers.authorization }, policy);
  const origin = req.headers.origin;
  if (origin && origins.has(origin) && !(verdict.answer === 'refuse' && verdict.status === 421)) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
  if (verdict.answer === 'refuse') {
    if (verdict.status === 401 || verdict.status === 421 || verdict.status === 403) log(`${verdict.status} ${verdict.error}`);
    for (const [name, value] of Object.entries(verdict.headers ?? {})) res.setHeader(name, value);
    return send(res, verdict.status, { error: verdict.error });
  }
  if (verdict.answer === 'preflight') {
    // The browser's preflight, before a JSON POST with x-namespace.
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.writeHead(204).end();
    return;
  }
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
  const payloads = parsePayloads(body);
  const out = verdict.operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
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
  opts: { port: number; host: string; origins: string[]; tokenFile?: string; allowEncode: boolean; allowedHosts?: string[] },
  write: (line: string) => void,
): Promise<void> {
  const [{ keyRingFromEnv, encryptionStatus, KEYS_ENV, KEYS_FILE_ENV }, { AesGcmCodec }, { InputError }, { codecToken }] = await Promise.all([
    import('../codec/keys.ts'),
    import('../codec/aes-gcm-codec.ts'),
    import('./input.ts'),
    import('./codec-token.ts'),
  ]);
  const ring = keyRingFromEnv();
  if (!ring) throw new InputError(`no codec keys: set $${KEYS_FILE_ENV} (a file of <id>:<base64 key> lines) or $${KEYS_ENV}`);
  const token = codecToken(opts.tokenFile);
  const running = await startCodecServer({
    codec: new AesGcmCodec(ring),
    port: opts.port,
    host: opts.host,
    origins: opts.origins,
    token,
    allowEncode: opts.allowEncode,
    allowedHosts: opts.allowedHosts,
    log: (line) => console.error(line),
  });
  const operations = opts.allowEncode ? 'POST .../decode and .../encode' : 'POST .../decode; /encode is off';
  write(`codec server on ${running.url} (${operations}), for the Web UI at ${opts.origins.join(', ')}`);
  // "<token>" literally: the token itself is never printed.
  write(`requests carry the token: the Web UI's codec endpoint is ${running.url}/<token>; the Temporal CLI sends --codec-auth "Bearer <token>"`);
  write(encryptionStatus().description);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
  });
  await running.close();
}
