// The Temporal runtime (the Rust core under every worker), installed with
// its Prometheus exporter on a private loopback port: the worker's own
// endpoint (server.ts) serves that text beside smokestack's. Once per
// process: a runtime cannot be installed twice.
import { createServer } from 'node:net';
import { Runtime, type RuntimeOptions } from '@temporalio/worker';
import { RUNBOOK_DURATION, RUNBOOK_DURATION_BUCKETS } from '../workflows/runbook-metrics.ts';

/** The runtime's telemetry: Prometheus text at `bindAddress`, durations in seconds, runbook durations in their own buckets. */
export function runtimeTelemetry(bindAddress: string): NonNullable<RuntimeOptions['telemetryOptions']> {
  return {
    metrics: {
      prometheus: {
        bindAddress,
        useSecondsForDurations: true,
        histogramBucketOverrides: { [RUNBOOK_DURATION]: RUNBOOK_DURATION_BUCKETS },
      },
    },
  };
}

/** Installs the runtime with its exporter on a free loopback port; returns where it serves /metrics. */
export async function installMetricsRuntime(options: Omit<RuntimeOptions, 'telemetryOptions'> = {}): Promise<string> {
  const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  Runtime.install({ ...options, telemetryOptions: runtimeTelemetry(bindAddress) });
  return `http://${bindAddress}/metrics`;
}

/** A port nothing listens on now (the runtime binds it a moment later). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
