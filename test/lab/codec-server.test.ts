// The real codec server process (`smokestack codec-server`, as the lab and
// the compose file start it): it will not start without a strong token, and
// once up it answers only a caller that brings the token and names it by
// its own address. It needs no lab host; it runs under the lab lock like
// every lab test.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmCodec } from '../../src/codec/aes-gcm-codec.ts';
import { parseKeyRing } from '../../src/codec/keys.ts';
import { EXIT } from '../../src/client/exit-codes.ts';
import { keepOutput } from '../support/output.ts';
import { REPO_ROOT } from '../support/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'smokestack-codec-server-'));
const secretFile = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
};
const KEYS = `lab-test:${randomBytes(32).toString('base64')}`;
const KEYS_FILE = secretFile('codec-keys', `${KEYS}\n`);
const TOKEN = randomBytes(32).toString('hex');
const TOKEN_FILE = secretFile('codec-token', `${TOKEN}\n`);
const codec = new AesGcmCodec(parseKeyRing(KEYS, 'test'));
const INPUT = { environment: 'dev-cloud', version: 'v42', requestedBy: 'carol' };

// No configuration is read: --origin is given, as the lab gives it.
const ARGS = ['codec-server', '--port', '0', '--origin', 'http://localhost:8233'];
const BASE_ENV = { SMOKESTACK_CODEC_KEYS_FILE: KEYS_FILE, SMOKESTACK_CODEC_KEYS: '', SMOKESTACK_CODEC_TOKEN: '', SMOKESTACK_CODEC_TOKEN_FILE: '' };

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

describe('codec-server refuses to start without a strong token', () => {
  it.each([
    ['no token at all', {}, [], 'the codec server needs a token'],
    ['a short one', { SMOKESTACK_CODEC_TOKEN: 'short-token' }, [], 'has 11 characters, at least 32'],
    ['an unreadable file', {}, ['--token-file', join(dir, 'missing')], 'cannot read the token file'],
  ] as const)('%s: one line, exit 2', (_, env, extra, says) => {
    // A server that does start is stopped after a while: then status is null, and the test fails instead of hanging.
    const args = [join(REPO_ROOT, 'bin/smokestack.js'), ...ARGS, ...extra];
    const run = spawnSync(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, ...BASE_ENV, ...env }, encoding: 'utf8', timeout: 30_000 });
    keepOutput('cli.log', `$ smokestack ${[...ARGS, ...extra].join(' ')}\n${run.stdout}${run.stderr}(exit ${run.status})\n`);
    const error = run.stderr.slice(run.stderr.indexOf('error: '));
    expect(error).toContain(says);
    expect(error.trimEnd().split('\n')).toHaveLength(1);
    expect(run.status).toBe(EXIT.invalid);
  });
});

describe('a running codec server', () => {
  let server: ChildProcess;
  let url: URL;
  let output = '';

  beforeAll(async () => {
    server = spawn(process.execPath, [join(REPO_ROOT, 'bin/smokestack.js'), ...ARGS, '--token-file', TOKEN_FILE], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...BASE_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stderr!.on('data', (d) => (output += d));
    url = await new Promise<URL>((resolve, reject) => {
      server.stdout!.on('data', (d) => {
        output += d;
        // Its last start line is the encryption status: by then it has said everything it says at start.
        const found = /codec server on (http:\/\/\S+)/.exec(output);
        if (found && output.includes('payload encryption:')) resolve(new URL(found[1]!));
      });
      server.once('exit', (code) => reject(new Error(`the codec server exited (${code}): ${output}`)));
    });
  }, 60_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    keepOutput('codec-server.log', output);
  });

  const decode = async (path: string, headers: Record<string, string> = {}) => {
    const stored = await codec.encode([defaultPayloadConverter.toPayload(INPUT)]);
    return fetch(new URL(path, url), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ payloads: stored.map(toJson) }) });
  };

  /** A request naming the server by another name, as a page on a rebound domain would. */
  const asHost = (host: string, path: string) =>
    new Promise<number>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      let text = '';
      socket.on('data', (d) => (text += d));
      socket.on('error', reject);
      socket.on('end', () => resolve(Number(text.split(' ')[1])));
      const body = '{"payloads":[]}';
      socket.end(`POST ${path} HTTP/1.0\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    });

  it('says how it is called, without the token', () => {
    expect(output).toContain(`${url.origin}/<token>`);
    expect(output).toContain('/encode is off');
  });

  it('refuses a caller with no token (401)', async () => {
    const res = await decode('/decode');
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('payloads');
  });

  it('refuses a wrong token, in the path or as a bearer (401)', async () => {
    const wrong = randomBytes(32).toString('hex');
    expect((await decode(`/${wrong}/decode`)).status).toBe(401);
    expect((await decode('/decode', { authorization: `Bearer ${wrong}` })).status).toBe(401);
  });

  it('refuses a foreign Host, even with the right token (421)', async () => {
    expect(await asHost(`rebound.example:${url.port}`, `/${TOKEN}/decode`)).toBe(421);
    expect(await asHost(`localhost:${url.port}`, `/${TOKEN}/decode`)).toBe(200);
  });

  it('decodes with the right token, as the Web UI sends it (the token path) and as the Temporal CLI does (a bearer)', async () => {
    for (const res of [await decode(`/${TOKEN}/decode`), await decode('/default/decode', { authorization: `Bearer ${TOKEN}` })]) {
      expect(res.status).toBe(200);
      const { payloads } = (await res.json()) as { payloads: ReturnType<typeof toJson>[] };
      const decoded = payloads.map((p) => ({
        metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
        data: Buffer.from(p.data, 'base64'),
      }));
      expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(INPUT);
    }
  });

  it('does not encode without --allow-encode, even with the token (403)', async () => {
    const res = await fetch(new URL(`/${TOKEN}/encode`, url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payloads":[]}' });
    expect(res.status).toBe(403);
  });

  it('printed and logged nothing of the token, nor of the keys', () => {
    expect(output).toContain('401');
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(KEYS.split(':')[1]);
  });
});
