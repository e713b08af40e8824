// One lab host as the chaos runs use it: its own task queue and worker
// process (so that killing it touches no other host's runs), deploys started
// and awaited through any outage, and the end state judged from the host
// itself (digests from its Docker, health from its engine), not from what
// smokestack says.
import { execFileSync, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowFailedError, type Client, type QueryDefinition, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { deployWorkflowId } from '../src/workflows/definitions.ts';
import type { DeployResult, StepProgress } from '../src/workflows/types.ts';
import { CLOUD_APPS, hostContainer, onHost, registryDigest, runningDigests, type LabHost } from '../test/support/lab.ts';
import { deployInput } from '../test/support/signing.ts';
import { WorkerProcess, type WorkerEnv } from './chaos-processes.ts';

/** The lab's network (lab/lib.sh). */
const LAB_NETWORK = 'smokestack-lab';

/** How long any one run may take before it is called stuck (and terminated). */
const RUN_LIMIT_MS = 12 * 60_000;

export class Lane {
  worker?: WorkerProcess;
  /** The good version the host runs now, as its last run left it. */
  current?: string;

  constructor(
    readonly host: LabHost,
    readonly client: Client,
    private readonly env: WorkerEnv,
  ) {}

  async startWorker(): Promise<void> {
    this.worker = await WorkerProcess.start(this.env);
  }

  async killWorker(): Promise<void> {
    await this.worker?.kill('SIGKILL');
  }

  /** A new worker if this one is gone (after its server went away, say); true if one had to be started. */
  async reviveWorker(): Promise<boolean> {
    if (this.worker?.alive) return false;
    await this.startWorker();
    return true;
  }

  /** A graceful stop, given 10 s (a notice may still be on its way), then SIGKILL. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const graceful = worker.kill('SIGTERM');
    await Promise.race([graceful, sleep(10_000)]);
    await worker.kill('SIGKILL');
  }

  get taskQueue(): string {
    return this.env.taskQueue;
  }

  /** A deploy started (with bob's signed request, fresh each time, when the host is protected: prod-cloud). */
  async startDeploy(version: string): Promise<WorkflowHandle> {
    return this.client.workflow.start('deploy', {
      taskQueue: this.env.taskQueue,
      workflowId: deployWorkflowId(this.host),
      args: [await deployInput({ environment: this.host, version, requestedBy: 'chaos' })],
    });
  }

  /** A deploy run to its end, undisturbed; fails unless it ends as `want`. */
  async deploy(version: string, want: DeployResult['outcome'] = 'succeeded'): Promise<Ended<DeployResult>> {
    const ended = await settle<DeployResult>(await this.startDeploy(version));
    if (ended.result?.outcome !== want) throw new Error(`${this.host}: deploy ${version} ended ${ended.outcome}, not ${want}: ${ended.error ?? ''}`);
    return ended;
  }
}

export interface Ended<R> {
  /** The run's own word: its outcome, or the failure's type when it has none. */
  outcome: string;
  result?: R;
  error?: string;
  seconds: number;
}

/**
 * Waits for a run's end through server outages (a call that cannot reach
 * the server is asked again), up to RUN_LIMIT_MS; a run still going then is
 * terminated and reported as stuck. The result is the workflow's own, or the
 * one a failure carries (smokestack's failures carry their run's result).
 */
export async function settle<R extends { outcome?: string }>(handle: WorkflowHandle, startedAt = Date.now()): Promise<Ended<R>> {
  const seconds = () => (Date.now() - startedAt) / 1000;
  for (;;) {
    try {
      const result = (await handle.result()) as R;
      return { outcome: result.outcome ?? 'completed', result, seconds: seconds() };
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause;
        const result = cause instanceof ApplicationFailure ? (cause.details?.[0] as R | undefined) : undefined;
        const type = cause instanceof ApplicationFailure ? cause.type : cause?.name;
        return { outcome: result?.outcome ?? type ?? 'failed', result, error: cause?.message ?? err.message, seconds: seconds() };
      }
      if (Date.now() - startedAt > RUN_LIMIT_MS) {
        await handle.terminate('chaos: stuck').catch(() => undefined);
        return { outcome: 'stuck', error: (err as Error).message, seconds: seconds() };
      }
      await sleep(500); // the server is away: ask again
    }
  }
}

/** What a run's progress query says: the step that is running, if any, and every step as it stands. */
type Progress = { steps: StepProgress[] };

export interface Hit {
  /** The step the kill or cut was aimed at, and whether it was caught running or had already ended. */
  step: string;
  caught: boolean;
  /** Every step running at that moment (a deploy backs up beside its preparation). */
  running: string[];
}

/**
 * Asks the run's progress every `everyMs` until `step` is running (a step
 * boundary); a step that ended between two looks counts as passed (then the
 * hit lands just after it).
 */
export async function waitForStep(handle: WorkflowHandle, query: QueryDefinition<Progress>, step: string, everyMs = 25, limitMs = 10 * 60_000): Promise<Hit> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const progress = await handle.query(query).catch(() => undefined);
    const state = progress?.steps.find((s) => s.name === step)?.state;
    const running = progress?.steps.filter((s) => s.state === 'running').map((s) => s.name) ?? [];
    if (state === 'running') return { step, caught: true, running };
    if (state === 'succeeded' || state === 'failed') return { step, caught: false, running };
    if (Date.now() > deadline) throw new Error(`step "${step}" never ran`);
    await sleep(everyMs);
  }
}

/** The steps running now (asked once), to say where a cut really landed. */
export async function runningNow(handle: WorkflowHandle, query: QueryDefinition<Progress>): Promise<string[]> {
  const progress = await handle.query(query).catch(() => undefined);
  return progress?.steps.filter((s) => s.state === 'running').map((s) => s.name) ?? ['?'];
}

/**
 * A run's steps in the order they started: the step boundaries a chaos run
 * can aim at. Its progress is asked every ~100 ms while it runs (`seen`:
 * the steps caught running); the order is the final snapshot's, which has
 * every step that ran, however short, with its start time.
 */
export async function recordSteps(handle: WorkflowHandle, query: QueryDefinition<Progress>, done: Promise<{ steps?: StepProgress[] } | undefined>): Promise<{ steps: string[]; seen: string[] }> {
  const seen = new Set<string>();
  let ended = false;
  const final = done.finally(() => (ended = true));
  while (!ended) {
    const progress = await handle.query(query).catch(() => undefined);
    for (const s of progress?.steps ?? []) if (s.state === 'running') seen.add(s.name);
    await sleep(100);
  }
  const ran = ((await final)?.steps ?? []).map((s, index) => ({ ...s, index })).filter((s) => s.startedAt !== undefined);
  ran.sort((a, b) => a.startedAt! - b.startedAt! || a.index - b.index);
  return { steps: ran.map((s) => s.name), seen: [...seen] };
}

/** Problems with a cloud host's app containers: not running `version`'s registry digests, or not all healthy. Empty: correct. */
export async function cloudStackProblems(host: LabHost, version: string): Promise<string[]> {
  const problems: string[] = [];
  try {
    const running = runningDigests(host, Object.keys(CLOUD_APPS));
    for (const [container, repo] of Object.entries(CLOUD_APPS)) {
      const want = `${repo}@${await registryDigest(repo, version)}`;
      if (!running[container]?.includes(want)) problems.push(`${container} does not run ${version}`);
    }
  } catch (err) {
    problems.push(`digests: ${safeMessage(err)}`);
  }
  return [...problems, ...unhealthy(host, ['mongo', ...Object.keys(CLOUD_APPS)])];
}

export function unhealthy(host: LabHost, containers: string[]): string[] {
  try {
    const states = onHost(host, `docker inspect --format '{{.State.Health.Status}}' ${containers.join(' ')}`).trim().split('\n');
    return containers.flatMap((c, i) => (states[i] === 'healthy' ? [] : [`${c} ${states[i] ?? 'missing'}`]));
  } catch (err) {
    return [`health: ${safeMessage(err)}`];
  }
}

/**
 * The lab network's link of a host's container: cut for `ms`, then put back
 * with the host's own address. The link is down once this returns its
 * promise (the disconnect runs before the first await).
 */
export async function cutOff(host: LabHost, address: string, ms: number): Promise<void> {
  // Put back even if the chaos run is stopped meanwhile (Ctrl-C exits through 'exit': chaos.ts).
  const putBack = () => reconnect(host, address);
  process.once('exit', putBack);
  execFileSync('docker', ['network', 'disconnect', LAB_NETWORK, hostContainer(host)]);
  try {
    await sleep(ms);
  } finally {
    putBack();
    process.off('exit', putBack);
  }
}

export function reconnect(host: LabHost, address: string): void {
  spawnSync('docker', ['network', 'connect', '--ip', address, LAB_NETWORK, hostContainer(host)], { stdio: 'ignore' });
}

/**
 * An error's first line, fit for the table: a failed command's own line is
 * left out (a test helper's command line can hold a password), only its
 * exit status and the first line it printed on stderr are kept.
 */
export function safeMessage(err: unknown): string {
  const e = err as Error & { status?: number; stderr?: string | Buffer };
  if (!e.message?.startsWith('Command failed')) return (e.message ?? String(err)).split('\n')[0]!;
  const said = String(e.stderr ?? '').trim().split('\n')[0];
  return `a command failed (exit ${e.status ?? '?'})${said ? `: ${said}` : ''}`;
}
