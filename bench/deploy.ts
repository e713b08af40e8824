// npm run bench:deploy: on one lab host (dev-cloud), side by side in one run:
//  (a) smokestack deploying v1 -> v2;
//  (b) the same docker steps as a plain sequential SSH script, the upstream
//      way without its fixed sleeps (upload, pull, up -d, poll until healthy);
//  (c) a failed deploy: from the failed step to the previous version healthy,
//      next to the time the containers need to start and pass one probe.
// Rounds alternate (a) and (b), each from its own v1 (smokestack's pinned by
// digest, the plain one by tag), and the bench refuses a round in which the
// two recreated different containers. Medians shown.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import proto from '@temporalio/proto';
import { loadConfig } from '../src/config/load.ts';
import type { DeployResult } from '../src/workflows/types.ts';
import { LAB_CONFIG, labServer, startWorker } from '../test/support/worker.ts';
import { fmt, median, timed } from './support.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EventType = proto.temporal.api.enums.v1.EventType;
const env = loadConfig(LAB_CONFIG).environments['dev-cloud']!;
const dir = env.deployDir;

/** One remote command over plain ssh, as the upstream scripts run them. */
const ssh = (script: string, input?: string) =>
  execFileSync('ssh', ['-q', '-i', env.privateKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `root@${env.host}`, script], {
    input,
    encoding: 'utf8',
  });

const compose = `docker compose --project-directory ${dir} -f ${dir}/cloud.docker-compose.yml`;
const healthy = `[ "$(docker inspect --format '{{.State.Health.Status}}' mongo backend_cloud frontend_cloud | sort -u)" = healthy ] && curl -fsS -o /dev/null http://127.0.0.1:3001/api/ready`;

/** (b): the upstream deploy minus its fixed sleeps: upload, pull, up -d, poll health. No pins file: plain tags. */
function plainScript(version: string) {
  ssh(`cat > ${dir}/cloud.docker-compose.yml`, readFileSync(env.composeFile, 'utf8'));
  ssh(`sed -i 's/^VERSION=.*/VERSION=${version}/' ${dir}/.env && rm -f ${dir}/smokestack.pins.yml`);
  ssh(`${compose} pull --quiet`);
  ssh(`${compose} up --detach --no-build`);
  ssh(`until ${healthy}; do sleep 1; done`);
}

/** Container name -> ID on dev-cloud: a changed ID is a recreated container. */
const containerIds = () =>
  new Map(
    ssh(`docker ps --format '{{.Names}} {{.ID}}'`)
      .trim()
      .split('\n')
      .map((line) => line.split(' ') as [string, string]),
  );

/** Runs a deploy and names the containers it recreated. */
async function recreatedBy(work: () => Promise<unknown> | unknown): Promise<{ seconds: number; recreated: string }> {
  const before = containerIds();
  const { seconds } = await timed(work);
  const after = containerIds();
  const recreated = [...after].filter(([name, id]) => before.get(name) !== id).map(([name]) => name);
  return { seconds, recreated: recreated.sort().join(',') };
}

const w = await startWorker(LAB_CONFIG, labServer());
const deploy = async (version: string, expected: DeployResult['outcome'] = 'succeeded') => {
  const handle = await w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-dev-cloud', args: [{ environment: 'dev-cloud', version }] });
  const result = (await handle.result().catch((e) => e.cause?.details?.[0] ?? { outcome: e.message })) as DeployResult;
  // A round that did not do what it measures is no figure at all.
  if (result.outcome !== expected) throw new Error(`deploy ${version}: ${result.outcome}, expected ${expected}: ${result.error ?? ''}`);
  return { handle, result };
};

try {
  // Both paths start from an empty host, whatever ran there before.
  ssh(`docker rm -f $(docker ps -aq) >/dev/null 2>&1; rm -rf ${dir}; true`);
  // Each path starts from its own v1 (smokestack's pinned by digest, the
  // plain one by tag), so both recreate exactly the containers v2 changes.
  const a: number[] = [];
  const b: number[] = [];
  const recreated = new Set<string>();
  for (let round = 0; round < ROUNDS; round++) {
    await deploy('v1');
    const ours = await recreatedBy(() => deploy('v2'));
    plainScript('v1');
    const plain = await recreatedBy(() => plainScript('v2'));
    a.push(ours.seconds);
    b.push(plain.seconds);
    recreated.add(`smokestack: ${ours.recreated}`).add(`plain: ${plain.recreated}`);
    if (ours.recreated !== plain.recreated) {
      throw new Error(`unfair round: smokestack recreated ${ours.recreated}, the plain script ${plain.recreated}`);
    }
  }

  // (c) v2 is running; deploying broken fails and rolls back.
  await deploy('v2');
  const { handle, result } = await deploy('broken', 'rolled-back');
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
  const failedAt = ms(events.find((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)!);
  const healthyAgain = result.steps.find((s) => s.name === 'health gate (previous version)')!.endedAt!;
  const rollbackSeconds = (healthyAgain - failedAt) / 1000;
  // The physical floor: recreate the same containers and wait for one passing probe.
  const physical = await timed(() => {
    ssh(`${compose} -f ${dir}/smokestack.pins.yml up --detach --no-build --force-recreate backend frontend`);
    ssh(`until ${healthy}; do sleep 0.2; done`);
  });

  const rows: [string, string][] = [
    [`(a) smokestack v1 -> v2, median of ${ROUNDS}`, fmt(median(a))],
    [`(b) plain SSH script v1 -> v2, median of ${ROUNDS}`, fmt(median(b))],
    ['    a / b (target <= 1.0)', (median(a) / median(b)).toFixed(3)],
    [`(c) failed deploy -> previous healthy (${result.outcome})`, fmt(rollbackSeconds)],
    ['    containers start + one passing probe', fmt(physical.seconds)],
    ['    c / physical (target <= 1.5)', (rollbackSeconds / physical.seconds).toFixed(3)],
    ['    all (a) runs', a.map((x) => x.toFixed(1)).join(', ')],
    ['    all (b) runs', b.map((x) => x.toFixed(1)).join(', ')],
    ['    recreated in every round (both paths)', [...recreated].join('; ')],
  ];
  console.log('\nbench:deploy (dev-cloud)');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(48)} ${v}`);
} finally {
  await w.stop();
}
