// A real worker (the project's own createWorker) on the test run's Temporal
// server, with its own task queue so test files never share work.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { inject } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { createWorker } from '../../src/worker.ts';
import { keepOutput } from './output.ts';
import { REPO_ROOT } from './paths.ts';

export interface TestWorker {
  client: Client;
  taskQueue: string;
  address: string;
  worker: Worker;
  stop(): Promise<void>;
}

export const LAB_CONFIG = join(REPO_ROOT, 'smokestack.yml');

let runtimeInstalled = false;

export async function startWorker(configFile = LAB_CONFIG): Promise<TestWorker> {
  if (!runtimeInstalled) {
    // Everything the worker logs is kept for the secrets sweep; only
    // warnings and errors are shown (lifecycle chatter drowns test output).
    const file = `worker-${process.pid}.log`;
    Runtime.install({
      logger: new DefaultLogger('INFO', (entry) => {
        // Errors would print as {}: keep what they say.
        const meta = JSON.stringify(entry.meta ?? {}, (_, v) => (v instanceof Error ? { name: v.name, message: v.message, cause: v.cause } : v));
        const line = `${entry.level} ${entry.message} ${meta}`;
        keepOutput(file, line + '\n');
        if (entry.level === 'WARN' || entry.level === 'ERROR') console.error(line);
      }),
    });
    runtimeInstalled = true;
  }
  const address = inject('temporalAddress');
  const taskQueue = `test-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await createWorker(nativeConnection, 'default', taskQueue, configFile);
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    client,
    taskQueue,
    address,
    worker,
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
    },
  };
}
