// The worker's metrics, wired: the Temporal runtime installed with its
// exporter on a private port, the backup and approval sources, and the one
// endpoint serving all of them (docs/monitoring.md). Call before anything
// connects to Temporal: the runtime is installed once per process.
import type { RuntimeOptions } from '@temporalio/worker';
import { loadConfig } from '../config/load.ts';
import { connectClient, type TemporalSettings } from '../temporal/connection.ts';
import { backupGauges } from './backups.ts';
import { approvalGauge, type Client } from './promotions.ts';
import { installMetricsRuntime } from './runtime.ts';
import { newRegistry, serveMetrics, type MetricsServer, type Source } from './server.ts';
import type { ListenAddress } from './settings.ts';

export async function startMetrics(
  listen: ListenAddress,
  configFile: string,
  temporal: TemporalSettings,
  runtimeOptions: Omit<RuntimeOptions, 'telemetryOptions'> = {},
): Promise<MetricsServer> {
  const runtimeUrl = await installMetricsRuntime(runtimeOptions);
  const registry = newRegistry();
  const backups = backupGauges(registry, configFile);
  const sources: Source[] = [{ name: 'backups', refresh: () => backups.refresh() }];
  // Read once now: a store that cannot be read is said at start, not at the first scrape.
  await backups.refresh().catch((err: Error) => console.warn(`metrics: the backup store cannot be read: ${err.message}`));

  let client: Promise<Client> | undefined;
  if (loadConfig(configFile).promotion) {
    const approval = approvalGauge(registry, () => (client ??= connectClient(temporal).catch((err) => ((client = undefined), Promise.reject(err)))));
    sources.push({ name: 'promotions', refresh: () => approval.refresh() });
  }

  const server = await serveMetrics(listen, runtimeUrl, registry, sources);
  return {
    ...server,
    async close() {
      await server.close();
      if (client) await (await client.catch(() => undefined))?.connection.close();
    },
  };
}
