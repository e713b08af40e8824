// `smokestack doctor` and `smokestack setup` on the lab, run as a user runs
// them: doctor passes with a worker polling and a line per host, names the
// task queue nobody polls, fails a host it cannot reach (and only warns of
// the often-off Pi); setup registers the search attributes on a server that
// lacks them, finds them there the second time, and refuses a wrong type.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import proto from '@temporalio/proto';
import { loadConfig } from '../../src/config/load.ts';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { temporalBinary } from '../support/paths.ts';
import { LAB_CONFIG, startWorker, type TestWorker } from '../support/worker.ts';

const { IndexedValueType, TaskQueueType } = proto.temporal.api.enums.v1;
const LAB_ENVIRONMENTS = Object.keys(loadConfig(LAB_CONFIG).environments);

let w: TestWorker;
beforeAll(async () => {
  w = await startWorker();
  await untilPolled(w.client, w.taskQueue);
});
afterAll(async () => {
  await w?.stop();
});

const doctor = (config: string, env: Record<string, string> = {}) =>
  runCli(['doctor', '--config', config], { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue, ...env });

/** Waits until the server has seen the worker poll: a worker's first poll follows its start by a moment. */
async function untilPolled(client: Client, taskQueue: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { pollers } = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name: taskQueue }, taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW });
    if (pollers.length > 0) return;
    await sleep(100);
  }
  throw new Error(`no poller on ${taskQueue} after 10 s`);
}

const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL'));

it('passes on the lab with a worker polling, with a line per host', async () => {
  const run = await doctor(LAB_CONFIG);
  expect(failLines(run.stdout)).toEqual([]);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/^ok\s+temporal\s+127\.0\.0\.1:\d+, namespace default$/m);
  expect(run.stdout).toMatch(/^ok\s+search attributes\s+SmokestackEnvironment, SmokestackVersion, SmokestackOutcome$/m);
  expect(run.stdout).toContain(`1 worker polls task queue ${w.taskQueue}`);
  for (const name of LAB_ENVIRONMENTS) {
    // The lab pins every host's keys (knownHostsFile, written by lab:up from each host): SSH answers with one of them.
    expect(run.stdout).toMatch(new RegExp(`^ok\\s+${name} ssh\\s+root@172\\.29\\.101\\.\\d+:22, host key SHA256:\\S+( or SHA256:\\S+)* \\(pinned\\)$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^ok\\s+${name} docker\\s+Engine \\d+\\.\\d+\\.\\d+\\S*, Compose 2\\.\\d+\\.\\d+$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^ok\\s+${name} disk\\s+[\\d.]+ [GM]B free for /opt/`, 'm'));
  }
  expect(run.stdout).toMatch(/^ok\s+registry\s+http:\/\/127\.0\.0\.1:5000\/v2\/ answers 200$/m);
  // The approvers' keys, from the lab's allowed signers file.
  expect(run.stdout).toMatch(/^ok\s+approver bob\s+1 key\(s\): SHA256:\S+$/m);
  expect(run.stdout).toMatch(/^ok\s+approver carol\s+1 key\(s\): SHA256:\S+$/m);
  expect(run.stdout).toMatch(/^ok\s+discord webhook\s+https:\/\/discord\.com\/api\/webhooks\/\d+\/\*\*\*, well formed/m);
});

it('fails when no worker polls the task queue, naming it', async () => {
  const nobody = `doctor-nobody-${randomUUID()}`;
  const run = await doctor(LAB_CONFIG, { SMOKESTACK_TASK_QUEUE: nobody });
  expect(run.code).toBe(1);
  expect(failLines(run.stdout)).toEqual([expect.stringMatching(new RegExp(`^FAIL\\s+worker\\s+no worker polls task queue ${nobody}: start one with npm run worker$`))]);
});

it('fails a host it cannot reach in one line, and only warns of the often-off Pi', async () => {
  const broken = labConfigWith((c) => {
    c.environments['dev-cloud'].port = 1;
    c.environments.smoker.port = 1; // promotion.devices: off most of the time
    // known_hosts pins port 22: on another port each needs its own pin (nothing answers there anyway).
    c.environments['dev-cloud'].hostKey = `SHA256:${'A'.repeat(43)}`;
    c.environments.smoker.hostKey = `SHA256:${'A'.repeat(43)}`;
  });
  const t0 = Date.now();
  const run = await doctor(broken);
  expect(run.code).toBe(1);
  expect(failLines(run.stdout)).toEqual([expect.stringMatching(/^FAIL\s+dev-cloud ssh\s+cannot reach root@172\.29\.101\.11:1 over SSH: .*ECONNREFUSED/)]);
  expect(run.stdout.split('\n').filter((l) => /\sdev-cloud /.test(l))).toHaveLength(1);
  expect(run.stdout).toMatch(/^warn\s+smoker ssh\s+cannot reach root@172\.29\.101\.14:1 over SSH: .*a device that is often off/m);
  expect(run.stdout.split('\n').filter((l) => /\ssmoker /.test(l))).toHaveLength(1);
  expect(run.stdout).toMatch(/^ok\s+smoker-2 docker\s/m);
  expect(Date.now() - t0).toBeLessThan(30_000);
});

it('registers the search attributes on a server without them, and finds them there the second time', async () => {
  // A server of its own: the run's server registers the attributes at start.
  const fresh = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalBinary() }, ip: '127.0.0.1' } });
  try {
    const operator = fresh.client.connection.operatorService;
    const registered = async () => (await operator.listSearchAttributes({ namespace: 'default' })).customAttributes;
    const onFresh = { TEMPORAL_ADDRESS: fresh.address, SMOKESTACK_TASK_QUEUE: w.taskQueue };
    const names = SEARCH_ATTRIBUTES.map((a) => a.name);
    for (const name of names) expect(await registered()).not.toHaveProperty(name);

    const before = await runCli(['doctor', '--config', LAB_CONFIG], onFresh);
    expect(before.stdout).toMatch(new RegExp(`^FAIL\\s+search attributes\\s+${names.join(', ')} not registered in default: run smokestack setup$`, 'm'));

    const first = await runCli(['setup', '--config', LAB_CONFIG], onFresh);
    expect(first.code, first.stderr).toBe(0);
    for (const name of names) {
      expect(first.stdout).toContain(`search attribute ${name}: created (Keyword)`);
      expect((await registered())[name]).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }
    // The lab's backups section: the schedules, by `schedules apply`'s own code.
    expect(first.stdout).toContain('created backup-daily-dev-cloud');
    expect((await fresh.client.schedule.getHandle('backup-daily-dev-cloud').describe()).action.type).toBe('startWorkflow');

    const second = await runCli(['setup', '--config', LAB_CONFIG], onFresh);
    expect(second.code, second.stderr).toBe(0);
    for (const name of names) expect(second.stdout).toContain(`search attribute ${name}: already there`);
    expect(second.stdout).not.toMatch(/: created|^created /m);

    const after = await runCli(['doctor', '--config', LAB_CONFIG], onFresh);
    expect(after.stdout).toMatch(/^ok\s+search attributes\s/m);

    // One of ours with another type: refused, with the way out, and nothing added.
    await operator.removeSearchAttributes({ namespace: 'default', searchAttributes: ['SmokestackVersion', 'SmokestackOutcome'] });
    await operator.addSearchAttributes({ namespace: 'default', searchAttributes: { SmokestackVersion: IndexedValueType.INDEXED_VALUE_TYPE_TEXT } });
    const conflict = await runCli(['setup', '--config', LAB_CONFIG], onFresh);
    expect(conflict.code).toBe(2);
    expect(conflict.stderr).toContain('SmokestackVersion is Text, not Keyword: remove it (temporal operator search-attribute remove --namespace default --name SmokestackVersion)');
    expect(await registered()).not.toHaveProperty('SmokestackOutcome');
  } finally {
    await fresh.teardown();
  }
});
