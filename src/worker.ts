// The worker: runs smokestack's workflows and activities. CI's self-hosted
// runner keeps one running; `npm run worker` starts one by hand.
import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from './activities/index.ts';
import { dataConverterFromEnv } from './codec/data-converter.ts';
import { encryptionStatus, MissingCodecKeysError, requireCodecKeys } from './codec/keys.ts';
import { ConfigError, configPath, loadConfig } from './config/load.ts';
import { metricsAddress } from './metrics/settings.ts';
import { temporalSettings } from './temporal/connection.ts';

// Beside this file: src/workflows/index.ts under tsx, dist/workflows/index.js once compiled.
export const workflowsPath = fileURLToPath(new URL(`./workflows/index${extname(import.meta.url)}`, import.meta.url));

/** The workflow code bundled by `npm run build` (src/bundle-workflows.ts), beside the compiled worker. */
export const WORKFLOW_BUNDLE = fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
/** The same with the encrypting data converter's failure converter inside (src/codec/failure-converter.ts): for a worker with codec keys. */
export const ENCODED_FAILURES_BUNDLE = fileURLToPath(new URL('./workflow-bundle-encoded-failures.js', import.meta.url));

/**
 * The compiled worker runs the bundle built with it, the one whose failure
 * converter is its data converter's; under tsx (tests, a worker started from
 * source) the sources are bundled at start, so an edit is never run against
 * a stale bundle.
 */
export function workflowCode(dataConverter?: DataConverter): { workflowBundle: { codePath: string } } | { workflowsPath: string } {
  const compiled = extname(import.meta.url) === '.js';
  const bundle = dataConverter?.failureConverterPath ? ENCODED_FAILURES_BUNDLE : WORKFLOW_BUNDLE;
  return compiled && existsSync(bundle) ? { workflowBundle: { codePath: bundle } } : { workflowsPath };
}

export async function createWorker(
  connection: NativeConnection,
  namespace: string,
  taskQueue: string,
  configFile = configPath(),
  /** Interceptors of the worker's own (the lab tests use one to change the world between two steps). */
  interceptors?: WorkerOptions['interceptors'],
  /** How long running activities may finish after a shutdown signal before they are cancelled (the SDK's default: none). */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'],
): Promise<Worker> {
  // Encrypted payloads when codec keys are configured (src/codec), as the clients do. Without keys, an
  // encrypted payload fails its workflow task (retried until a worker with the key takes it): say why once.
  const dataConverter = dataConverterFromEnv(process.env, (line) => console.error(`smokestack worker: ${line}`));
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...workflowCode(dataConverter),
    activities: createActivities({ configFile }),
    interceptors,
    dataConverter,
    // Only when given: the SDK refuses an explicit undefined.
    ...(shutdownGraceTime === undefined ? {} : { shutdownGraceTime }),
  });
}

async function main(): Promise<void> {
  const configFile = configPath();
  const config = loadConfig(configFile);
  requireCodecKeys(config);
  const settings = temporalSettings(config);
  // Before the connection: the runtime, with its metrics exporter, is installed once per process (docs/monitoring.md).
  const listen = metricsAddress(config);
  const metrics = listen && (await (await import('./metrics/start.ts')).startMetrics(listen, configFile, settings));
  const connection = await NativeConnection.connect({ address: settings.address });
  // On SIGTERM (systemctl stop, docker stop) running activities get a minute
  // to finish before they are cancelled and retried by the next worker: a
  // compose up or a dump is not cut off by a routine restart.
  const worker = await createWorker(connection, settings.namespace, settings.taskQueue, configFile, undefined, '60s');
  console.log(`smokestack worker: ${settings.address} namespace ${settings.namespace}, task queue ${settings.taskQueue}`);
  console.log(`smokestack worker: ${encryptionStatus().description}`);
  if (metrics) console.log(`smokestack worker: metrics at ${metrics.url}`);
  await worker.run();
  await connection.close();
  await metrics?.close();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    // A configuration it cannot run with (codec keys included) is said in its own words, as the CLI does (exit 2).
    if (err instanceof ConfigError || err instanceof MissingCodecKeysError) {
      console.error(`smokestack worker: ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  });
}
