// A stand-in for Discord's webhook endpoint, so tests see exactly what
// sendDiscord puts on the wire without a real webhook.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { keepOutput } from './output.ts';

export interface RecordedCall {
  method: string;
  path: string;
  body: any;
  /** What the recorder answered (set once it has). */
  status?: number;
}

export interface DiscordRecorder {
  apiBase: string;
  webhookUrl: string;
  calls: RecordedCall[];
  stop(): Promise<void>;
  setFailure(status?: number): void;
  setDelay(ms: number): void;
  /** Resolves once this many calls have arrived: notices are delivered beside a run, not by it. */
  waitForCalls(count: number, timeoutMs?: number): Promise<RecordedCall[]>;
  /** The calls it answered with success: the notices Discord would show. */
  delivered(): RecordedCall[];
  /** Resolves once this many calls were answered with success. */
  waitForDelivered(count: number, timeoutMs?: number): Promise<RecordedCall[]>;
}

const WEBHOOK_ID = '123456789012345678';
const WEBHOOK_TOKEN = 'fake-token-abc';
const WEBHOOK_PATH = /^\/api\/v\d+\/webhooks\/(\d+)\/([^/]+)$/;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(req: IncomingMessage, raw: string): any {
  if (!raw) return undefined;
  if ((req.headers['content-type'] ?? '').includes('application/json')) {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function sendJson(res: ServerResponse, call: RecordedCall, status: number, body: unknown): void {
  // The client may have given up (timeout) while we were delaying.
  if (res.destroyed || res.writableEnded) return;
  call.status = status;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startDiscordRecorder(options: { failWith?: number; delayMs?: number } = {}): Promise<DiscordRecorder> {
  const calls: RecordedCall[] = [];
  let failWith = options.failWith;
  let delayMs = options.delayMs ?? 0;
  const timers = new Set<NodeJS.Timeout>();

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = parseBody(req, await readBody(req));
    const call: RecordedCall = { method: req.method ?? '', path: url.pathname, body };
    calls.push(call);
    // What Discord would show, kept with the run's output for the secrets sweep (not the path: it holds the webhook's token).
    if (process.env.VITEST && body !== undefined) keepOutput(`discord-${process.pid}.jsonl`, JSON.stringify(body) + '\n');

    const respond = () => {
      if (failWith !== undefined) return sendJson(res, call, failWith, { message: 'down', code: 0 });
      const match = WEBHOOK_PATH.exec(url.pathname);
      if (req.method !== 'POST' || !match) return sendJson(res, call, 404, { message: '404: Not Found', code: 0 });
      // Discord answers 204 unless asked to wait for the created message.
      if (url.searchParams.get('wait') !== 'true') {
        call.status = 204;
        res.writeHead(204).end();
        return;
      }
      sendJson(res, call, 200, {
        id: '223456789012345678',
        type: 0,
        channel_id: '323456789012345678',
        webhook_id: match[1],
        content: body?.content ?? '',
        embeds: body?.embeds ?? [],
        author: { id: match[1], username: body?.username ?? 'webhook', discriminator: '0000', avatar: null, bot: true },
        timestamp: new Date().toISOString(),
        attachments: [],
        mentions: [],
        mention_roles: [],
        pinned: false,
        mention_everyone: false,
        tts: false,
        flags: 0,
      });
    };

    if (delayMs > 0) {
      const t = setTimeout(() => {
        timers.delete(t);
        respond();
      }, delayMs);
      timers.add(t);
    } else {
      respond();
    }
  });

  const delivered = () => calls.filter((c) => c.status !== undefined && c.status < 300);
  /** Polls until `list()` has `count` entries, or fails saying how many it got. */
  async function until(list: () => RecordedCall[], count: number, what: string, timeoutMs: number): Promise<RecordedCall[]> {
    const deadline = Date.now() + timeoutMs;
    while (list().length < count) {
      if (Date.now() > deadline) throw new Error(`Discord recorder: ${list().length} of ${count} ${what} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return list();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    apiBase: `http://127.0.0.1:${port}/api`,
    webhookUrl: `https://discord.com/api/webhooks/${WEBHOOK_ID}/${WEBHOOK_TOKEN}`,
    calls,
    setFailure(status?: number) {
      failWith = status;
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
    delivered,
    waitForCalls: (count: number, timeoutMs = 30_000) => until(() => calls, count, 'calls', timeoutMs),
    waitForDelivered: (count: number, timeoutMs = 30_000) => until(delivered, count, 'delivered calls', timeoutMs),
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      // Keep-alive sockets from the HTTP client would hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

/** A recorder that this process's workers send their notices to (through $SMOKESTACK_DISCORD_API) until it stops. */
export async function recordWorkerNotices(): Promise<DiscordRecorder> {
  const recorder = await startDiscordRecorder();
  process.env.SMOKESTACK_DISCORD_API = recorder.apiBase;
  const stop = recorder.stop;
  return Object.assign(recorder, {
    async stop() {
      delete process.env.SMOKESTACK_DISCORD_API;
      await stop();
    },
  });
}
