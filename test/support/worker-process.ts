// A worker in its own process (`npm run worker`), for tests that kill it or
// read everything it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { keepOutput } from './output.ts';
import { REPO_ROOT } from './paths.ts';

export interface WorkerProcess {
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** `compiled`: the worker `npm run build` made (dist/worker.js, with its prebuilt workflow bundles), not src/ through tsx. */
export async function spawnWorker(env: { address: string; taskQueue: string; config: string; compiled?: boolean }): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, env.compiled ? ['dist/worker.js'] : ['--import', 'tsx', 'src/worker.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, TEMPORAL_ADDRESS: env.address, SMOKESTACK_TASK_QUEUE: env.taskQueue, SMOKESTACK_CONFIG: env.config },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const record = (d: Buffer) => {
    out += d;
    keepOutput(`worker-process-${child.pid}.log`, d.toString());
  };
  child.stdout!.on('data', record);
  child.stderr!.on('data', record);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let i = 0; i < 600 && !out.includes('smokestack worker:'); i++) await new Promise((r) => setTimeout(r, 100));
  if (!out.includes('smokestack worker:')) throw new Error(`worker did not start:\n${out}`);
  return {
    output: () => out,
    async kill(signal = 'SIGTERM') {
      child.kill(signal);
      await exited;
    },
  };
}
