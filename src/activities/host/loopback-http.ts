// HTTP on a host's loopback, asked from the worker: one GET over a channel of
// the pooled SSH connection. No port is opened on the host and no curl is
// needed there; the hosts are reached over SSH (Tailscale in production), so
// this is the only way the runner can see what a browser on the host would.
import { request } from 'node:http';
import type { RemoteHost } from '../../ssh/executor.ts';

export interface LoopbackAnswer {
  status: number;
  contentType: string;
  /** The body, cut at BODY_LIMIT characters: enough to judge, never a whole bundle. */
  body: string;
}

const BODY_LIMIT = 65_536;

/** GET http://127.0.0.1:PORT/PATH on the host; fails on no answer within timeoutMs (the channel is closed then). */
export async function getOnLoopback(host: RemoteHost, port: number, path: string, timeoutMs: number): Promise<LoopbackAnswer> {
  const channel = await host.forward('127.0.0.1', port);
  return new Promise<LoopbackAnswer>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: 'GET', createConnection: () => channel as never, timeout: timeoutMs, headers: { connection: 'close' } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body = (body + chunk).slice(0, BODY_LIMIT)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${path} in ${Math.round(timeoutMs / 1000)} s`)));
    req.on('error', reject);
    req.end();
  });
}
