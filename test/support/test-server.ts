// The unit tests' way to the test run's Temporal server (started by the
// global setup): a client, and the native connection their workers need.
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';

export interface TestServer {
  client: Client;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

export async function connectTestServer(): Promise<TestServer> {
  const address = inject('temporalAddress');
  const nativeConnection = await NativeConnection.connect({ address });
  const connection = await Connection.connect({ address });
  return {
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

/**
 * Waits for a run's notifier to end, if the run had one (notifiers outlive
 * their runs), up to `tries` looks 100 ms apart.
 */
export async function notifierEnded(client: Client, workflowId: string, runId: string, tries: number): Promise<void> {
  const notifier = client.workflow.getHandle(`${workflowId}-notices-${runId}`);
  for (let i = 0; i < tries; i++) {
    try {
      await notifier.result();
      return;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // A run starts its notifier before it ends: once ended without one, it never had one.
      if ((await client.workflow.getHandle(workflowId, runId).describe()).status.name !== 'RUNNING') return;
      await sleep(100);
    }
  }
}
