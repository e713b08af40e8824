// The worker's one Prometheus endpoint: GET /metrics answers the Temporal
// runtime's text (its exporter on a private loopback port) followed by
// smokestack's own metrics, whose sources are read again at each scrape.
// A source that fails leaves the rest of the page, and says so in
// smokestack_metrics_source_up.
import { createServer, type Server } from 'node:http';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ListenAddress } from './settings.ts';

export const SOURCE_UP = 'smokestack_metrics_source_up';

/** Something read at each scrape: it sets its own gauges in the registry. */
export interface Source {
  name: string;
  refresh(): Promise<void>;
}

export interface MetricsServer {
  /** http://HOST:PORT/metrics, with the port bound (given 0, the one chosen). */
  url: string;
  registry: Registry;
  close(): Promise<void>;
}

const SOURCE_TIMEOUT_MS = 5000;

export function newRegistry(): Registry {
  const registry = new Registry();
  // The worker process's own memory, CPU and event loop (process_*, nodejs_*): the runtime exports none of these.
  collectDefaultMetrics({ register: registry });
  return registry;
}

export async function serveMetrics(listen: ListenAddress, runtimeUrl: string | undefined, registry: Registry, sources: Source[], warn: (message: string) => void = console.warn): Promise<MetricsServer> {
  const up = new Gauge({ name: SOURCE_UP, help: 'Whether a metrics source answered at this scrape (1) or not (0)', labelNames: ['source'] as const, registers: [registry] });

  const scrape = async (): Promise<string> => {
    const [runtime] = await Promise.all([
      runtimeUrl ? readRuntime(runtimeUrl).then(ok('temporal-runtime'), failed('temporal-runtime')) : undefined,
      ...sources.map((s) => withTimeout(s.refresh()).then(ok(s.name), failed(s.name))),
    ]);
    return `${typeof runtime === 'string' ? runtime.trimEnd() + '\n' : ''}${await registry.metrics()}`;
  };
  function ok(source: string) {
    return <T>(value: T): T => {
      up.set({ source }, 1);
      return value;
    };
  }
  function failed(source: string) {
    return (err: unknown): undefined => {
      up.set({ source }, 0);
      warn(`metrics: ${source} did not answer: ${(err as Error).message ?? err}`);
      return undefined;
    };
  }

  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('smokestack worker metrics are at /metrics\n');
      return;
    }
    scrape().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  return {
    url: `http://${host}:${port}/metrics`,
    registry,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readRuntime(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(SOURCE_TIMEOUT_MS) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${SOURCE_TIMEOUT_MS / 1000} s`)), SOURCE_TIMEOUT_MS);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
