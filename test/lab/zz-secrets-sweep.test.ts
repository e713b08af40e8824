// Runs last (see test/support/sequencer.ts): no secret value is in any
// workflow history of the whole run (every workflow in the namespace, not
// only those a test kept a handle to), nor in anything the CLI or a worker
// printed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { historyAsText, listRuns } from '../support/history.ts';
import { LAB_CACHE } from '../support/paths.ts';

let client: Client;
beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address: inject('temporalAddress') }) });
});
afterAll(async () => client?.connection.close());

/** Every lab secret as it could appear: raw, URL-encoded, and the webhook's token. */
function labSecrets(): string[] {
  const dir = join(LAB_CACHE, 'lab/secrets');
  return readdirSync(dir).flatMap((f) => {
    const value = readFileSync(join(dir, f), 'utf8').trim();
    return f === 'discord-webhook-url' ? [value.split('/').pop()!] : [value, encodeURIComponent(value)];
  });
}

it('no secret is in any workflow history of the run', async () => {
  const secrets = labSecrets();
  expect(secrets.length).toBeGreaterThanOrEqual(5);
  let histories = 0;
  let deploysWithPlans = 0;
  for await (const run of listRuns(client)) {
    const text = historyAsText(await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory());
    histories++;
    if (text.includes('deployDir')) deploysWithPlans++; // decoded: base64 would hide this, and a secret
    for (const secret of secrets) expect(text.includes(secret), `a secret in the history of ${run.workflowId} ${run.runId}`).toBe(false);
  }
  // The sweep saw the suite's real deploys, not an empty namespace.
  expect(histories).toBeGreaterThan(20);
  expect(deploysWithPlans).toBeGreaterThan(10);
});

it('no secret is in anything the CLI or a worker printed', () => {
  const dir = inject('outputDir');
  const files = readdirSync(dir);
  expect(files).toContain('cli.log');
  expect(files.some((f) => f.startsWith('worker-process-'))).toBe(true);
  const output = files.map((f) => readFileSync(join(dir, f), 'utf8')).join('\n');
  expect(output).toContain('uploadStack'); // the workers did log their work...
  expect(output).toContain('succeeded: '); // ...and the CLI its deploys
  for (const secret of labSecrets()) expect(output.includes(secret), 'a secret in the output').toBe(false);
});
