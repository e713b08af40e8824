// The chaos runs around deploys on a cloud host: the Temporal server killed
// while `compose up` runs, the worker killed at every step boundary of a
// deploy and of a rollback, the host cut off during the health gate.
import { setTimeout as sleep } from 'node:timers/promises';
import { progressQuery } from '../src/workflows/definitions.ts';
import type { DeployResult } from '../src/workflows/types.ts';
import { composeCalls, isCompose, resetHost, type LabHost } from '../test/support/lab.ts';
import type { DevServer } from './chaos-processes.ts';
import { cloudStackProblems, cutOff, recordSteps, runningNow, settle, waitForStep, type Ended, type Hit, type Lane } from './chaos-lane.ts';
import type { ChaosRow } from './chaos-table.ts';

/** The version a run deploys: the other good one, so that every run really changes the stack. */
const other = (version: string) => (version === 'v1' ? 'v2' : 'v1');

/** An undisturbed deploy from v1 to v2 on a fresh host, and what it tells: its time, its steps in order. */
export interface Probe {
  seconds: number;
  steps: string[];
  /** The steps the ~100 ms polls caught running (the others ran shorter than that). */
  seen: string[];
}

/** The host reset, v1 deployed, then v2 watched as the probe. Leaves the host on v2. */
export async function prepareCloudHost(lane: Lane): Promise<Probe> {
  resetHost(lane.host);
  await lane.deploy('v1');
  const probe = await probeDeploy(lane, 'v2');
  if (probe.ended.outcome !== 'succeeded') throw new Error(`${lane.host}: the probe deploy of v2 ended ${probe.ended.outcome}: ${probe.ended.error}`);
  lane.current = 'v2';
  return { seconds: probe.ended.seconds, steps: probe.steps, seen: probe.seen };
}

async function probeDeploy(lane: Lane, version: string): Promise<{ ended: Ended<DeployResult>; steps: string[]; seen: string[] }> {
  const startedAt = Date.now();
  const handle = await lane.startDeploy(version);
  const done = settle<DeployResult>(handle, startedAt);
  const { steps, seen } = await recordSteps(handle, progressQuery, done.then((e) => e.result));
  return { ended: await done, steps, seen };
}

/** Scenario 1: the server SIGKILLed while `compose up` runs on the host, started again ~5 s later on the same port and database. */
export async function serverKilled(lane: Lane, server: DevServer, baseline: Probe): Promise<ChaosRow> {
  const from = lane.current!;
  const version = other(from);
  const startedAt = Date.now();
  const handle = await lane.startDeploy(version);
  await waitForStep(handle, progressQuery, 'start stack');
  await composeUpRunning(lane.host, startedAt);
  await server.kill();
  const downAt = Date.now();
  await sleep(5_000);
  await server.start();
  const downSeconds = (Date.now() - downAt) / 1000;
  // The worker may ride out the outage or give up on it: watched until the run ends, started again if it exited.
  let restarted = false;
  let ended = false;
  const watch = (async () => {
    while (!ended) {
      if (await lane.reviveWorker()) restarted = true;
      await sleep(1_000);
    }
  })();
  const end = await settle<DeployResult>(handle, startedAt).finally(() => (ended = true));
  await watch;
  const exitedAfter = !restarted && !lane.worker!.alive;
  if (exitedAfter) await lane.reviveWorker();
  const problems = end.outcome === 'succeeded' ? await cloudStackProblems(lane.host, version) : [`ended ${end.outcome}: ${end.error}`];
  if (end.outcome === 'succeeded') lane.current = version;
  const worker = restarted ? 'worker exited in the outage, restarted' : exitedAfter ? 'worker exited after the run' : 'worker survived the outage';
  return {
    scenario: 'server killed',
    hit: 'start stack (compose up running)',
    outcome: end.outcome,
    correct: problems.length === 0,
    seconds: end.seconds,
    lostSeconds: end.seconds - baseline.seconds,
    note: [`${lane.host} ${from}->${version}`, `server down ${downSeconds.toFixed(1)} s`, worker, ...problems].join('; '),
  };
}

/** The step boundaries of scenario 2 not yet hit, shared by the hosts' lanes: each takes the next one its own deploys have. */
export class Boundaries {
  private readonly left: string[];

  constructor(readonly steps: string[]) {
    this.left = [...steps];
  }

  take(has: string[]): string | undefined {
    const i = this.left.findIndex((s) => has.includes(s));
    return i < 0 ? undefined : this.left.splice(i, 1)[0];
  }
}

/**
 * Scenario 2: deploys on the lane's host, one per step boundary it takes,
 * the worker SIGKILLed as that step starts and a new one started.
 * Correct: succeeded, the new version's digests running, healthy.
 */
export async function workerKilledInDeploys(lane: Lane, baseline: Probe, boundaries: Boundaries, report: (row: ChaosRow) => void): Promise<void> {
  for (let step = boundaries.take(baseline.steps); step; step = boundaries.take(baseline.steps)) {
    const from = lane.current!;
    const version = other(from);
    const { hit, end } = await killWorkerAt(lane, version, step);
    const problems = end.outcome === 'succeeded' ? await cloudStackProblems(lane.host, version) : [`ended ${end.outcome}: ${end.error}`];
    if (end.outcome === 'succeeded') lane.current = version;
    report({
      scenario: 'worker killed (deploy)',
      order: boundaries.steps.indexOf(step),
      hit: describeHit(hit),
      outcome: end.outcome,
      correct: problems.length === 0,
      seconds: end.seconds,
      lostSeconds: end.seconds - baseline.seconds,
      note: [`${lane.host} ${from}->${version}`, ...problems].join('; '),
    });
  }
}

/**
 * Scenario 3: a version whose health gate fails, deployed over a good one:
 * a probe records the rollback's steps, then one run per rollback step
 * boundary kills the worker there. Correct: rolled back (not "rollback
 * failed"), the good version's digests running, healthy.
 */
export async function workerKilledInRollbacks(lane: Lane, report: (row: ChaosRow) => void): Promise<void> {
  const good = lane.current!;
  const probe = await probeDeploy(lane, 'broken');
  const probeProblems = probe.ended.outcome === 'rolled-back' ? await cloudStackProblems(lane.host, good) : [`ended ${probe.ended.outcome}: ${probe.ended.error}`];
  if (probeProblems.length > 0) throw new Error(`${lane.host}: the undisturbed rollback probe is wrong: ${probeProblems.join('; ')}`);
  // The version fails its health checks: in `start stack` already (compose up waits for them) or in the health gate.
  const failed = probe.ended.result?.steps.find((s) => s.state === 'failed')?.name;
  if (!failed) throw new Error(`${lane.host}: the rollback probe has no failed step`);
  const rollbackSteps = probe.steps.slice(probe.steps.indexOf(failed) + 1);
  console.log(`chaos: ${lane.host} rollback probe (${probe.ended.seconds.toFixed(1)} s): ${rollbackSteps.join(', ')} after the failed ${failed}`);
  for (const step of rollbackSteps) {
    const { hit, end } = await killWorkerAt(lane, 'broken', step);
    const problems = end.outcome === 'rolled-back' ? await cloudStackProblems(lane.host, good) : [`ended ${end.outcome}: ${end.error}`];
    report({
      scenario: 'worker killed (rollback)',
      hit: describeHit(hit),
      outcome: end.outcome,
      correct: problems.length === 0,
      seconds: end.seconds,
      lostSeconds: end.seconds - probe.ended.seconds,
      note: [`${lane.host} ${good}->broken->${good}`, ...problems].join('; '),
    });
  }
}

/** Scenario 4, first half: the host's link cut during the health gate for `cutMs`, then put back. Either end is correct if the host agrees. */
export async function hostCutInGate(lane: Lane, address: string, cutMs: number, baselineSeconds: number): Promise<ChaosRow> {
  const from = lane.current!;
  const version = other(from);
  const startedAt = Date.now();
  const handle = await lane.startDeploy(version);
  const hit = await waitForStep(handle, progressQuery, 'health gate');
  const cut = cutOff(lane.host, address, cutMs);
  const landed = await runningNow(handle, progressQuery);
  await cut;
  const end = await settle<DeployResult>(handle, startedAt);
  const runs = end.outcome === 'succeeded' ? version : end.outcome === 'rolled-back' ? from : undefined;
  const problems = runs ? await cloudStackProblems(lane.host, runs) : [`ended ${end.outcome}: ${end.error}`];
  if (runs) lane.current = runs;
  return {
    scenario: 'host cut off (deploy)',
    hit: describeCut(hit, landed),
    outcome: end.outcome,
    correct: problems.length === 0,
    seconds: end.seconds,
    lostSeconds: end.seconds - baselineSeconds,
    note: [`${lane.host} ${from}->${version}, cut ${cutMs / 1000} s`, runs ? `runs ${runs}` : '', ...problems].filter(Boolean).join('; '),
  };
}

/** Starts a deploy, SIGKILLs the worker as `step` starts, starts a new worker, and waits for the end. */
async function killWorkerAt(lane: Lane, version: string, step: string): Promise<{ hit: Hit; end: Ended<DeployResult> }> {
  const startedAt = Date.now();
  const handle = await lane.startDeploy(version);
  const hit = await waitForStep(handle, progressQuery, step);
  await lane.killWorker();
  await lane.startWorker();
  return { hit, end: await settle<DeployResult>(handle, startedAt) };
}

export function describeHit(hit: Hit): string {
  const beside = hit.running.filter((s) => s !== hit.step);
  const where = hit.caught ? hit.step : `just after ${hit.step}`;
  return beside.length > 0 ? `${where} (+ ${beside.join(', ')})` : where;
}

/** Where a cut aimed at a step landed: that step, or (a short one) the step after it. */
export function describeCut(hit: Hit, runningAtCut: string[]): string {
  return runningAtCut.includes(hit.step) ? describeHit(hit) : `${describeHit(hit)}, landed in ${runningAtCut.join(', ') || 'no step'}`;
}

/** Waits until a `compose up` started since `sinceMs` runs on the host (its compose recorder says so). */
async function composeUpRunning(host: LabHost, sinceMs: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (composeCalls(host).some((c) => c.startedAt >= sinceMs - 1000 && isCompose(c, 'up') && c.endedAt === undefined)) return;
    await sleep(50);
  }
  throw new Error(`no compose up ever ran on ${host}`);
}
