// The codec server speaks Temporal's remote codec protocol as the Web UI
// uses it: a CORS preflight from the UI's origin, then a JSON POST with
// x-namespace to `<endpoint>/decode`, where the endpoint carries the token
// (`http://HOST:PORT/<token>`); payloads in protobuf's JSON form (every
// bytes field base64). Whoever lacks the token, or calls it by another
// name (DNS rebinding), is refused before any payload is read.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec.ts';
import { parseKeyRing } from '../../src/codec/keys.ts';
import { hostsAnsweredTo, judge, startCodecServer, type Policy, type RequestFacts, type RunningCodecServer } from '../../src/client/codec-server-command.ts';
import { codecToken, tokenChecker } from '../../src/client/codec-token.ts';
import { InputError } from '../../src/client/input.ts';

const UI = 'http://localhost:8233';
const TOKEN = randomBytes(32).toString('hex');
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

const logged: string[] = [];
let server: RunningCodecServer;
let encoding: RunningCodecServer;
beforeAll(async () => {
  const common = { codec, port: 0, host: '127.0.0.1', origins: [`${UI}/namespaces/default`], token: TOKEN, log: (line: string) => logged.push(line) };
  server = await startCodecServer(common);
  encoding = await startCodecServer({ ...common, allowEncode: true });
});
afterAll(async () => {
  await server?.close();
  await encoding?.close();
});

/** What the Web UI's fetch sends to `<endpoint>/decode`, the endpoint being http://HOST:PORT/<token>. */
const post = (path: string, body: unknown, headers: Record<string, string> = {}, to = server) =>
  fetch(`${to.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', origin: UI, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** A request as sent by hand: the Host header of our choosing, or none (HTTP/1.0); fetch sets its own. */
function withHost(host: string | undefined, path: string, body = '{"payloads":[]}'): Promise<{ status: number; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', rest = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest });
    });
    const hostLine = host === undefined ? '' : `Host: ${host}\r\n`;
    socket.end(`POST ${path} HTTP/1.0\r\n${hostLine}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });
}

const errorOf = async (res: Response) => ((await res.json()) as { error: string }).error;

describe('codec server', () => {
  it("answers the UI's preflight from its origin, with credentials (a preflight carries no token)", async () => {
    const res = await fetch(`${server.url}/${TOKEN}/decode`, {
      method: 'OPTIONS',
      headers: { origin: UI, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-namespace' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')?.split(/,\s*/)).toEqual(expect.arrayContaining(['content-type', 'x-namespace', 'authorization']));
    // Another site gets no CORS grant: the browser will not let it read the answer.
    const elsewhere = await fetch(`${server.url}/${TOKEN}/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('decodes what a worker encrypted, as the UI posts it: the token as the first path segment', async () => {
    const stored = await codec.encode([defaultPayloadConverter.toPayload(INPUT), defaultPayloadConverter.toPayload('v9')]);
    const res = await post(`/${TOKEN}/decode`, { payloads: stored.map(toJson) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    // Proto JSON both ways: metadata values base64 too (json/plain, not the raw string).
    expect(payloads[0]!.metadata.encoding).toBe(Buffer.from('json/plain').toString('base64'));
    expect(payloads.map((p) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([INPUT, 'v9']);
  });

  it('decodes with the token as a bearer header (the Temporal CLI: --codec-auth), under any path ending in /decode', async () => {
    const stored = await codec.encode([defaultPayloadConverter.toPayload(INPUT)]);
    const res = await post('/default/decode', { payloads: stored.map(toJson) }, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    expect(defaultPayloadConverter.fromPayload(fromJson(payloads[0]!))).toEqual(INPUT);
    // The token in the path, then a namespace: the UI's endpoint with a path of its own.
    expect((await post(`/${TOKEN}/default/decode`, { payloads: [] })).status).toBe(200);
  });

  it('refuses without the token, or with a wrong one, before reading a payload (401)', async () => {
    const [stored] = await codec.encode([defaultPayloadConverter.toPayload(INPUT)]);
    const body = { payloads: [toJson(stored!)] };
    const wrong = randomBytes(32).toString('hex');
    for (const [path, headers] of [
      ['/decode', {}],
      [`/${wrong}/decode`, {}],
      ['/decode', { authorization: `Bearer ${wrong}` }],
      [`/${TOKEN.slice(0, -1)}/decode`, {}], // a near miss
      [`/${TOKEN}x/decode`, {}],
      ['/decode', { authorization: TOKEN }], // not a bearer header
      [`/decode/${TOKEN}`, {}], // the token must come first
    ] as const) {
      const res = await post(path, body, headers);
      expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const text = await res.text();
      expect(text).not.toContain('payloads');
      expect(text).not.toContain(TOKEN);
    }
    // Even what is not a codec path asks for the token first: nothing is said about the server without it.
    expect((await fetch(`${server.url}/other`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${server.url}/decode`)).status).toBe(401);
  });

  it('refuses a Host that is not its listen address (DNS rebinding), even with the token (421)', async () => {
    const { port } = new URL(server.url);
    for (const host of [`evil.example:${port}`, `evil.example`, `127.0.0.1.evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, `localhost`, undefined]) {
      const res = await withHost(host, `/${TOKEN}/decode`);
      expect(res.status, String(host)).toBe(421);
      expect(res.body).not.toContain('payloads');
    }
    // Its own names, as a browser on this machine sends them.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await withHost(host, `/${TOKEN}/decode`)).status, host).toBe(200);
    }
  });

  it('/encode is off unless started with --allow-encode, and needs the token either way', async () => {
    const body = { payloads: [toJson(defaultPayloadConverter.toPayload(INPUT))] };
    const off = await post(`/${TOKEN}/encode`, body);
    expect(off.status).toBe(403);
    expect(await errorOf(off)).toContain('--allow-encode');
    expect((await post('/encode', body, {}, encoding)).status).toBe(401);
    expect((await post(`/${randomBytes(32).toString('hex')}/encode`, body, {}, encoding)).status).toBe(401);
  });

  it('with --allow-encode, encodes what the UI sends (a signal typed in), which a worker then decodes', async () => {
    const res = await post(`/${TOKEN}/default/encode`, { payloads: [toJson(defaultPayloadConverter.toPayload(INPUT))] }, {}, encoding);
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(payloads[0]!.data, 'base64').toString()).not.toContain('prod-cloud');
    const [decoded] = await codec.decode(payloads.map(fromJson));
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(INPUT);
  });

  it('refuses with 400 a body it cannot read and a payload it cannot decrypt, naming no key id', async () => {
    expect((await post(`/${TOKEN}/decode`, 'not json')).status).toBe(400);
    expect(await errorOf(await post(`/${TOKEN}/decode`, { nothing: [] }))).toContain('expected {"payloads": [...]}');
    const [foreign] = await new AesGcmCodec(parseKeyRing(`someone-else:${randomBytes(32).toString('base64')}`, 'x')).encode([defaultPayloadConverter.toPayload(1)]);
    const res = await post(`/${TOKEN}/decode`, { payloads: [toJson(foreign!)] });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error).toContain('could not be decoded');
    expect(error).not.toContain('someone-else');
    expect(error).not.toContain('ui-test');
    // The operator's log says why.
    expect(logged.join('\n')).toContain('"someone-else", which is not in the key ring');
    expect((await fetch(`${server.url}/${TOKEN}/decode`)).status).toBe(405);
    expect((await fetch(`${server.url}/${TOKEN}/other`, { method: 'POST' })).status).toBe(404);
  });

  it('never logs the token or a path: refusals are logged by status and caller only', async () => {
    await post(`/${TOKEN.slice(1)}x/decode`, { payloads: [] });
    await withHost('evil.example', `/${TOKEN}/decode`);
    expect(logged.some((line) => line.includes('401'))).toBe(true);
    expect(logged.some((line) => line.includes('421'))).toBe(true);
    for (const line of logged) {
      expect(line).not.toContain(TOKEN);
      expect(line).not.toContain(TOKEN.slice(1));
    }
  });
});

describe('judge: what the server makes of a request, before its body', () => {
  const policy: Policy = { hosts: new Set(['127.0.0.1:8081', 'localhost:8081']), tokenMatches: tokenChecker(TOKEN), allowEncode: false };
  const facts = (over: Partial<RequestFacts>): RequestFacts => ({ method: 'POST', url: `/${TOKEN}/decode`, host: '127.0.0.1:8081', authorization: undefined, ...over });
  const status = (over: Partial<RequestFacts>, p = policy) => {
    const verdict = judge(facts(over), p);
    return verdict.answer === 'refuse' ? verdict.status : verdict.answer;
  };

  it.each([
    ['the UI: token in the path', {}, 'run'],
    ['the CLI: bearer header', { url: '/default/decode', authorization: `Bearer ${TOKEN}` }, 'run'],
    ['bearer, any case', { url: '/decode', authorization: `bearer ${TOKEN}` }, 'run'],
    ['a query string is not the path', { url: `/${TOKEN}/decode?x=1` }, 'run'],
    ['preflight without a token', { method: 'OPTIONS', url: '/decode' }, 'preflight'],
    ['preflight of no codec path', { method: 'OPTIONS', url: '/other' }, 404],
    ['no token', { url: '/decode' }, 401],
    ['the token alone is not a codec path', { url: `/${TOKEN}` }, 401],
    ['a wrong bearer', { url: '/decode', authorization: 'Bearer nope' }, 401],
    ['an empty bearer', { url: '/decode', authorization: 'Bearer ' }, 401],
    ['foreign Host, with the token', { host: 'evil.example:8081' }, 421],
    ['no Host', { host: undefined }, 421],
    ['Host by name, another port', { host: 'localhost:8082' }, 421],
    ['with the token, no codec path', { url: `/${TOKEN}/other` }, 404],
    ['with the token, GET', { method: 'GET' }, 405],
    ['with the token, /encode while off', { url: `/${TOKEN}/encode` }, 403],
  ] as const)('%s: %s', (_, over, expected) => {
    expect(status(over)).toBe(expected);
  });

  it('/encode runs only when allowed', () => {
    expect(judge(facts({ url: `/${TOKEN}/encode` }), { ...policy, allowEncode: true })).toEqual({ answer: 'run', operation: 'encode' });
  });

  it('no refusal holds the token', () => {
    for (const over of [{ url: `/${TOKEN}x/decode` }, { host: 'evil.example' }, { url: `/${TOKEN}/encode` }]) {
      expect(JSON.stringify(judge(facts(over), policy))).not.toContain(TOKEN);
    }
  });
});

describe('hostsAnsweredTo: the Host headers that name this server', () => {
  const sorted = (s: Set<string>) => [...s].sort();

  it('loopback: its address and port, and localhost, 127.0.0.1 and [::1] on that port', () => {
    expect(sorted(hostsAnsweredTo({ host: '127.0.0.1', address: '127.0.0.1', port: 8081 }))).toEqual(['127.0.0.1:8081', '[::1]:8081', 'localhost:8081']);
    expect(sorted(hostsAnsweredTo({ host: 'localhost', address: '::1', port: 8081 }))).toEqual(['127.0.0.1:8081', '[::1]:8081', 'localhost:8081']);
  });

  it('another address: that address only, plus what is allowed besides', () => {
    expect(sorted(hostsAnsweredTo({ host: '100.64.0.7', address: '100.64.0.7', port: 8888 }, ['Runner.Tailnet.ts.net']))).toEqual([
      '100.64.0.7:8888',
      'runner.tailnet.ts.net',
    ]);
  });

  it("every interface: each interface's address, and the loopback names", () => {
    const hosts = hostsAnsweredTo({ host: '0.0.0.0', address: '0.0.0.0', port: 8081 }, [], () => ['127.0.0.1', '10.0.0.5', 'fe80::1']);
    expect(sorted(hosts)).toEqual(['10.0.0.5:8081', '127.0.0.1:8081', '[::1]:8081', '[fe80::1]:8081', 'localhost:8081']);
  });

  it('port 80: also the bare names a browser sends', () => {
    expect(hostsAnsweredTo({ host: '127.0.0.1', address: '127.0.0.1', port: 80 }).has('localhost')).toBe(true);
  });
});

describe('codecToken: where the token comes from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'codec-token-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const refusal = (fn: () => unknown): Error => {
    try {
      fn();
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected a refusal');
  };

  it('reads a file (--token-file over $SMOKESTACK_CODEC_TOKEN_FILE) or the variable, trimmed', () => {
    expect(codecToken(file('a', `${TOKEN}\n`), {})).toBe(TOKEN);
    expect(codecToken(undefined, { SMOKESTACK_CODEC_TOKEN_FILE: file('b', TOKEN) })).toBe(TOKEN);
    expect(codecToken(file('c', `${TOKEN}\n`), { SMOKESTACK_CODEC_TOKEN_FILE: join(dir, 'missing') })).toBe(TOKEN);
    expect(codecToken(undefined, { SMOKESTACK_CODEC_TOKEN: ` ${TOKEN} ` })).toBe(TOKEN);
  });

  it('refuses, in one line, none, a short one, one a URL would mangle, an unreadable file, and two sources', () => {
    const cases: [() => unknown, string][] = [
      [() => codecToken(undefined, {}), 'needs a token: --token-file FILE, $SMOKESTACK_CODEC_TOKEN_FILE or $SMOKESTACK_CODEC_TOKEN'],
      [() => codecToken(undefined, { SMOKESTACK_CODEC_TOKEN: 'x'.repeat(31) }), 'has 31 characters, at least 32'],
      [() => codecToken(file('short', 'abc\n'), {}), 'has 3 characters, at least 32'],
      [() => codecToken(undefined, { SMOKESTACK_CODEC_TOKEN: `${'a'.repeat(40)}/b+c=` }), 'may hold only'],
      [() => codecToken(join(dir, 'missing'), {}), 'cannot read the token file'],
      [() => codecToken(undefined, { SMOKESTACK_CODEC_TOKEN_FILE: file('d', TOKEN), SMOKESTACK_CODEC_TOKEN: TOKEN }), 'set one'],
      [() => codecToken(undefined, { SMOKESTACK_CODEC_TOKEN: '' }), 'needs a token'],
    ];
    for (const [fn, says] of cases) {
      const err = refusal(fn);
      expect(err).toBeInstanceOf(InputError); // the CLI prints it as one line and exits 2
      expect(err.message).toContain(says);
      expect(err.message).not.toContain('\n');
      expect(err.message).not.toContain(TOKEN);
      expect(err.message).not.toContain('a'.repeat(40));
    }
  });

  it('tokenChecker: the token matches, anything else does not, whatever its length', () => {
    const matches = tokenChecker(TOKEN);
    expect(matches(TOKEN)).toBe(true);
    for (const other of [undefined, '', TOKEN.slice(0, -1), `${TOKEN}0`, TOKEN.toUpperCase(), 'x'.repeat(1000)]) expect(matches(other)).toBe(false);
  });
});
