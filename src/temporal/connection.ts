// Where Temporal is: the config file's `temporal` section, overridden by
// the usual TEMPORAL_* environment variables (CI sets them).
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.ts';

export interface TemporalSettings {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
}

export function temporalSettings(config: Config): TemporalSettings {
  return {
    address: process.env.TEMPORAL_ADDRESS ?? config.temporal.address,
    namespace: process.env.TEMPORAL_NAMESPACE ?? config.temporal.namespace,
    taskQueue: process.env.SMOKESTACK_TASK_QUEUE ?? config.temporal.taskQueue,
    uiUrl: process.env.TEMPORAL_UI_URL ?? config.temporal.uiUrl,
  };
}

export class TemporalUnreachableError extends Error {}

export async function connectClient(settings: TemporalSettings): Promise<Client> {
  // Loaded on connect, not with this module: the CLI reads the settings and
  // this file's error class on paths that never reach Temporal.
  const { Client, Connection } = await import('@temporalio/client');
  // Before connecting: a bad key ring is a configuration error, not an unreachable server.
  const { dataConverterFromEnv } = await import('../codec/data-converter.ts');
  const dataConverter = dataConverterFromEnv();
  try {
    const connection = await Connection.connect({ address: settings.address, connectTimeout: '5s' });
    return new Client({ connection, namespace: settings.namespace, dataConverter });
  } catch (err) {
    throw new TemporalUnreachableError(
      `cannot reach Temporal at ${settings.address}: ${(err as Error).message}. Is the server running? (npm run lab:up starts the lab's)`,
    );
  }
}

export function runUrl(settings: TemporalSettings, workflowId: string, runId: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;
}
