// The processes `npm run chaos` kills: its own Temporal dev server (so that
// killing it disturbs no one else's runs) and compiled workers
// (`node dist/worker.js`, as CI runs them), each with its log in the run's
// directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../src/temporal/search-attributes.ts';
import { REPO_ROOT, temporalBinary } from '../test/support/paths.ts';

/** Every child still running, killed when the chaos run exits however it exits. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
// Ctrl-C and friends leave through 'exit' too, so nothing outlives the run (nor a host left cut off).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, () => process.exit(130));

function track(child: ChildProcess, logFile: string): Promise<void> {
  children.add(child);
  const log = createWriteStream(logFile, { flags: 'a' });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return new Promise((resolve) =>
    child.on('exit', () => {
      children.delete(child);
      resolve();
    }),
  );
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `temporal server start-dev` on a fixed port and database file, so that a restart finds the runs it had. */
export class DevServer {
  private child?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    readonly port: number,
    private readonly dbFile: string,
    private readonly logDir: string,
  ) {}

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const attributes = SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=Keyword`]);
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.port), '--headless', '--db-filename', this.dbFile, ...attributes];
    this.child = spawn(temporalBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = track(this.child, join(this.logDir, 'temporal.log'));
    await this.ready();
  }

  /** SIGKILL: no goodbye to its clients, as a crash or an OOM kill. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Serving, with the namespace and smokestack's search attributes in place. */
  private async ready(): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (this.child?.exitCode !== null) throw new Error(`the Temporal dev server exited (${this.child?.exitCode}); see ${this.logDir}/temporal.log`);
      try {
        const connection = await Connection.connect({ address: this.address, connectTimeout: '1s' });
        try {
          const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
          if (SEARCH_ATTRIBUTES.every((a) => a.name in (customAttributes ?? {}))) return;
        } finally {
          await connection.close();
        }
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`the Temporal dev server did not come up on ${this.address}`);
      await sleep(200);
    }
  }
}

export interface WorkerEnv {
  address: string;
  taskQueue: string;
  config: string;
  logDir: string;
}

/** A compiled worker in its own process; ready once it says `smokestack worker:` (src/worker.ts). */
export class WorkerProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static async start(env: WorkerEnv): Promise<WorkerProcess> {
    const child = spawn(process.execPath, ['dist/worker.js'], {
      cwd: REPO_ROOT,
      env: { ...process.env, TEMPORAL_ADDRESS: env.address, SMOKESTACK_TASK_QUEUE: env.taskQueue, SMOKESTACK_CONFIG: env.config },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = track(child, join(env.logDir, `worker-${env.taskQueue}.log`));
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    for (let i = 0; i < 600 && !out.includes('smokestack worker:'); i++) {
      if (child.exitCode !== null) break;
      await sleep(50);
    }
    if (!out.includes('smokestack worker:')) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not start; see ${env.logDir}/worker-${env.taskQueue}.log`);
    }
    return new WorkerProcess(child, exited);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.alive) this.child.kill(signal);
    await this.exited;
  }
}
