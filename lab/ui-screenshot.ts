// Proof that the Web UI shows encrypted payloads decoded: starts a deploy
// whose input is encrypted with the lab's key on the lab's Temporal, opens
// its page in headless Chromium (the UI decodes through the lab's codec
// server), checks that the page shows the input in clear, and saves a
// screenshot to docs/images/ui-decoded-input.png. The run is on a task
// queue no worker serves, and is terminated afterwards: nothing is deployed.
//
//   npm run lab:up                                  # the codec server, and Temporal with --ui-codec-endpoint
//   apt-get install -y chromium                     # or CHROMIUM=/path/to/chrome
//   node --import tsx lab/ui-screenshot.ts
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { chromium } from 'playwright-core';
import { dataConverterFor } from '../src/codec/data-converter.ts';
import { keyRingFromEnv } from '../src/codec/keys.ts';
import { loadConfig } from '../src/config/load.ts';
import { runUrl, temporalSettings } from '../src/temporal/connection.ts';
import { historyText } from '../test/support/history.ts';

const repo = dirname(dirname(fileURLToPath(import.meta.url)));
const cache = process.env.SMOKESTACK_CACHE ?? '/var/cache/smokestack';
const keysFile = process.env.SMOKESTACK_CODEC_KEYS_FILE ?? join(cache, 'lab/secrets/codec-keys');
const out = join(repo, 'docs/images/ui-decoded-input.png');

const settings = temporalSettings(loadConfig(join(repo, 'smokestack.yml')));
const ring = keyRingFromEnv({ SMOKESTACK_CODEC_KEYS_FILE: keysFile });
const connection = await Connection.connect({ address: settings.address });
const client = new Client({ connection, namespace: settings.namespace, dataConverter: dataConverterFor(ring) });

const requestedBy = 'alice (ui-screenshot)';
const handle = await client.workflow.start('deploy', {
  taskQueue: 'ui-screenshot-no-worker',
  workflowId: `ui-screenshot-${randomUUID().slice(0, 8)}`,
  args: [{ environment: 'dev-cloud', version: 'v1', requestedBy }],
  staticSummary: 'deploy v1 → dev-cloud (encrypted input, shown decoded)',
});
try {
  // The server holds ciphertext: the proof the picture is of decoding, not of plain payloads.
  const stored = await historyText(handle, null);
  if (stored.includes(requestedBy) || !stored.includes('binary/encrypted')) throw new Error('the stored history is not encrypted');

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const decodes: number[] = [];
    page.on('response', (res) => {
      if (res.url().endsWith('/decode')) decodes.push(res.status());
    });
    const url = runUrl(settings, handle.workflowId, handle.firstExecutionRunId);
    await page.goto(url, { waitUntil: 'networkidle' });
    // The input, decoded by the codec server in the browser: the UI renders it as JSON.
    await page.getByText(requestedBy).first().waitFor({ timeout: 30_000 });
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out, fullPage: false });
    console.log(`${url}\n  decode calls: ${decodes.join(', ') || 'none'}\n  saved ${out}`);
  } finally {
    await browser.close();
  }
} finally {
  await handle.terminate('ui-screenshot: done');
  await connection.close();
}
