// A real worker (the project's own createWorker) with a client on the same
// Temporal server, for the tests and the benchmarks alike. Each worker has
// its own task queue, so test files and bench runs never share work.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type WorkerOptions } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load.ts';
import { temporalSettings } from '../../src/temporal/connection.ts';
import { createWorker } from '../../src/worker.ts';
import { dataConverterFromEnv } from '../../src/codec/data-converter.ts';
import { keepOutput } from './output.ts';
import { REPO_ROOT } from './paths.ts';

export interface TestWorker {
  client: Client;
  taskQueue: string;
  address: string;
  stop(): Promise<void>;
}

/** A Temporal server, and what becomes of everything a worker on it logs. */
interface Server {
  address: string;
  /** Gets every line; without it only warnings and errors are printed. */
  keepLog?(line: string): void;
}

export const LAB_CONFIG = join(REPO_ROOT, 'smokestack.yml');

/** The test run's server (test/support/global-setup.ts); the log is kept for the secrets sweep. */
function testRun(): Server {
  const file = `worker-${process.pid}.log`;
  return { address: inject('temporalAddress'), keepLog: (line) => keepOutput(file, line + '\n') };
}

/** The lab's own server, where its config (or $TEMPORAL_ADDRESS) says: for the benchmarks, run outside vitest. */
export function labServer(): Server {
  return { address: temporalSettings(loadConfig(LAB_CONFIG)).address };
}

let runtimeInstalled = false;

// The runtime, and so its logger, is once per process: a process works on one server.
function installRuntime(server: Server): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      // Errors would print as {}: keep what they say.
      const meta = JSON.stringify(entry.meta ?? {}, (_, v) => (v instanceof Error ? { name: v.name, message: v.message, cause: v.cause } : v));
      const line = `${entry.level} ${entry.message} ${meta}`;
      server.keepLog?.(line);
      // Lifecycle chatter would drown the tests' and benches' own output.
      if (entry.level === 'WARN' || entry.level === 'ERROR') console.error(line);
    }),
  });
  runtimeInstalled = true;
}

/** Tests use the run's own server (the default); the benchmarks pass labServer(). */
export async function startWorker(configFile = LAB_CONFIG, server = testRun(), interceptors?: WorkerOptions['interceptors']): Promise<TestWorker> {
  installRuntime(server);
  const { address } = server;
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker(nativeConnection, 'default', taskQueue, configFile, interceptors);
  const running = worker.run();
  const connection = await Connection.connect({ address });
  // The worker encrypts when codec keys are configured: its client must read what it writes.
  const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFromEnv() });
  return {
    client,
    taskQueue,
    address,
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}
