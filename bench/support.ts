// Shared by the benchmarks: timing, printing, and the split of a run's wall
// time into remote work and orchestration. The worker they drive is the
// tests' own (test/support/worker.ts), on the lab's server.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { REPO_ROOT } from '../test/support/paths.ts';

const EventType = proto.temporal.api.enums.v1.EventType;

export async function timed<T>(work: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const t0 = performance.now();
  const value = await work();
  return { seconds: (performance.now() - t0) / 1000, value };
}

export function sh(script: string, env: Record<string, string> = {}): void {
  execFileSync('bash', ['-c', script], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } });
}

export interface RunSplit {
  wallSeconds: number;
  /** Time activities spent running (started -> completed): SSH, Docker, Compose. */
  remoteSeconds: number;
  /** Everything else: scheduling, workflow tasks, hand-offs between steps. */
  overheadSeconds: number;
}

/** Splits a finished run's wall time using its history's event times. */
export async function splitRun(handle: WorkflowHandle): Promise<RunSplit> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const ms = (e: (typeof events)[number]) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
  const started = new Map<number, number>();
  let remote = 0;
  for (const e of events) {
    if (e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED) {
      started.set(Number(e.activityTaskStartedEventAttributes!.scheduledEventId), ms(e));
    }
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes;
    if (done) remote += ms(e) - started.get(Number(done.scheduledEventId))!;
  }
  const wall = ms(events.at(-1)!) - ms(events[0]!);
  return { wallSeconds: wall / 1000, remoteSeconds: remote / 1000, overheadSeconds: (wall - remote) / 1000 };
}

export const fmt = (s: number) => `${s.toFixed(2)} s`;
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A lab host as the benchmarks reach it by hand: its address, login and key from the configuration. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
}

/**
 * One remote script over the OpenSSH client (the raw side of a benchmark,
 * as an operator would type it): stdin from a local file, stdout into one,
 * or stdout returned. A failure says the script's first line and stderr.
 */
export function sshScript(target: SshTarget, script: string, io: { stdinFile?: string; stdoutFile?: string } = {}): Promise<string> {
  const args = ['-q', '-i', target.privateKey, '-p', String(target.port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `${target.user}@${target.host}`, script];
  const stdin = io.stdinFile ? openSync(io.stdinFile, 'r') : 'ignore';
  const stdout = io.stdoutFile ? openSync(io.stdoutFile, 'w') : 'pipe';
  const child = spawn('ssh', args, { stdio: [stdin, stdout, 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (typeof stdin === 'number') closeSync(stdin);
      if (typeof stdout === 'number') closeSync(stdout);
      if (code === 0) resolve(out);
      else reject(new Error(`ssh ${target.host} \`${script.split('\n')[0]}\` exited ${code}: ${err.trim()}`));
    });
  });
}

/**
 * A mongo-tools command as root inside the database container, the
 * password written from the container's own environment into a private
 * config file, as smokestack passes it: as an argument, `ps` on the host
 * would show it for as long as the tool runs.
 */
export function mongoToolScript(tool: string): string {
  return [
    'umask 077; f=$(mktemp) || exit',
    `printf "password: '%s'\\n" "$(printf '%s' "$MONGO_INITDB_ROOT_PASSWORD" | sed "s/'/''/g")" > "$f"`,
    `${tool} --config "$f" --username "$MONGO_INITDB_ROOT_USERNAME" --authenticationDatabase admin`,
    'rc=$?; rm -f "$f"; exit $rc',
  ].join('\n');
}
