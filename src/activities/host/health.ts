// The health gate: poll until every service is up on the image just
// deployed and answers its probe, or the environment's deadline passes.
// Never a fixed sleep: it returns the moment the stack is healthy.
import { setTimeout as sleep } from 'node:timers/promises';
import { Context } from '@temporalio/activity';
import { containerHasProcess, containerLogs, inspectContainers } from '../../commands/docker.ts';
import { httpStatus, tailscaleStatus } from '../../commands/files.ts';
import type { RemoteHost } from '../../ssh/executor.ts';
import type { DeployPlan, ServiceHealth, ServiceImage } from '../../workflows/types.ts';
import { beat } from '../keep-alive.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { jsonLines, lastLines } from '../output.ts';
import { unhealthyFailure } from '../../workflows/failures.ts';

interface ContainerState {
  Name: string;
  Image: string;
  RestartCount: number;
  State: { Status: string; Health?: { Status: string; Log?: { Output: string }[] } };
}

interface HealthReport {
  healthy: boolean;
  services: ServiceHealth[];
}

/** Heartbeat details: the deadline survives a worker crash, so a retried gate does not start over. */
interface GateHeartbeat {
  deadline: number;
}

export async function healthGate(plan: DeployPlan, expected: ServiceImage[]): Promise<ServiceHealth[]> {
  const ctx = Context.current();
  const resumed = ctx.info.heartbeatDetails as GateHeartbeat | undefined;
  const deadline = resumed?.deadline ?? Date.now() + plan.health.timeoutSeconds * 1000;
  return onHost(plan.host, async (host) => {
    for (;;) {
      beat(ctx, { deadline } satisfies GateHeartbeat);
      // One look may take a while when a probe hangs: keep the attempt alive meanwhile.
      const report = await whileHeartbeating(checkStack(host, plan, expected), () => ({ deadline }) satisfies GateHeartbeat);
      if (report.healthy) return report.services;
      const verdict = report.services.filter((s) => !s.healthy);
      const givenUp = verdict.some((s) => s.detail.startsWith('unhealthy'));
      if (givenUp || Date.now() >= deadline) {
        const logs: Record<string, string> = {};
        for (const s of verdict) logs[s.service] = lastLines((await host.run(containerLogs(s.container, 20))).stdout + '', 20);
        const why = givenUp ? 'Docker reports it unhealthy' : `not healthy within ${plan.health.timeoutSeconds}s`;
        throw unhealthyFailure('HealthGateFailed', `${verdict.map((s) => `${s.service} (${s.detail})`).join(', ')}: ${why}`, { unhealthy: verdict, logs });
      }
      await sleep(plan.health.intervalSeconds * 1000, undefined, { signal: ctx.cancellationSignal });
    }
  });
}

/** One look at every service: container state, image, Docker health, then its probe. */
export async function checkStack(host: RemoteHost, plan: DeployPlan, expected: ServiceImage[]): Promise<HealthReport> {
  const names = Object.values(plan.services).map((s) => s.container);
  const inspected = await host.run(inspectContainers(names), { timeoutSeconds: 30 });
  const states = new Map<string, ContainerState>();
  for (const state of jsonLines<ContainerState>(inspected.stdout)) states.set(state.Name.replace(/^\//, ''), state);
  // Every service's probe at once (one channel each on the same connection).
  const services: ServiceHealth[] = await Promise.all(
    Object.entries(plan.services).map(async ([service, check]) => {
      const state = states.get(check.container);
      const want = expected.find((e) => e.service === service);
      const problem =
        containerProblem(state, want) ??
        (check.http ? await httpProblem(host, check.http) : null) ??
        (check.process ? await processProblem(host, check.container, check.process) : null);
      return { service, container: check.container, healthy: problem === null, detail: problem ?? 'healthy' };
    }),
  );
  if (plan.health.tailscale) {
    const ts = await host.run(tailscaleStatus(), { timeoutSeconds: 30 });
    const ok = ts.code === 0;
    services.push({ service: 'tailscale', container: '-', healthy: ok, detail: ok ? 'healthy' : `tailscale status: ${ts.stderr.trim()}` });
  }
  return { healthy: services.every((s) => s.healthy), services };
}

function containerProblem(state: ContainerState | undefined, want: ServiceImage | undefined): string | null {
  if (!state) return 'container missing';
  if (want && state.Image !== want.imageId) return 'still running the previous image';
  if (state.State.Status !== 'running') return `container ${state.State.Status}`;
  const health = state.State.Health?.Status;
  if (health === 'unhealthy') return `unhealthy: ${state.State.Health?.Log?.at(-1)?.Output?.trim() ?? ''}`.trim();
  if (health && health !== 'healthy') return `health ${health}`;
  return null;
}

async function httpProblem(host: RemoteHost, url: string): Promise<string | null> {
  const probe = await host.run(httpStatus(url), { timeoutSeconds: 30 });
  const status = probe.stdout.trim();
  if (probe.code === 0 && /^2\d\d$/.test(status)) return null;
  return `GET ${url} -> ${status && status !== '000' ? status : probe.stderr.trim() || 'no answer'}`;
}

async function processProblem(host: RemoteHost, container: string, process: string): Promise<string | null> {
  const probe = await host.run(containerHasProcess(container, process), { timeoutSeconds: 30 });
  return probe.code === 0 ? null : `process ${process} not running`;
}
