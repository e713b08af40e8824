// Preflight: the host answers, has Docker and Compose, and has room; and
// the version running now passes its own health check, so a health gate
// that fails later is the new version's fault, not the configuration's.
import { setTimeout as sleep } from 'node:timers/promises';
import { dockerVersion, stackContainers } from '../../commands/docker.ts';
import { composeV1Version, composeV2Version } from '../../commands/compose.ts';
import { freeDiskKb } from '../../commands/files.ts';
import type { RemoteHost } from '../../ssh/executor.ts';
import type { DeployPlan, HostFacts, PreflightOptions, ServiceHealth } from '../../workflows/types.ts';
import { checkStack } from './health.ts';
import { onHost } from '../remote.ts';
import { failure } from '../../workflows/failures.ts';
import { CURRENT_HEALTH_GRACE_SECONDS } from '../../workflows/timeouts.ts';


export async function preflight(plan: DeployPlan, options: PreflightOptions = {}): Promise<HostFacts> {
  return onHost(plan.host, async (host) => {
    // Independent questions, asked at once over one connection.
    const [docker, compose, freeDiskMb, stack] = await Promise.all([
      host.run(dockerVersion(), { timeoutSeconds: 30 }),
      detectCompose(host),
      freeDisk(host, plan.deployDir),
      host.check(stackContainers(plan.deployDir)),
    ]);
    if (docker.code !== 0) {
      throw failure('PreflightFailed', `Docker does not answer on ${plan.host.host}: ${docker.stderr.trim()}`);
    }
    if (!compose) {
      throw failure('PreflightFailed', `neither \`docker compose\` nor \`docker-compose\` works on ${plan.host.host}`);
    }
    if (freeDiskMb < plan.minFreeDiskMb) {
      throw failure('PreflightFailed', `only ${freeDiskMb} MB free on ${plan.host.host}, below the ${plan.minFreeDiskMb} MB floor`);
    }
    const facts: HostFacts = { ...compose, dockerVersion: docker.stdout.trim(), freeDiskMb };
    if (stack.trim() === '') return { ...facts, current: 'none' };
    const problems = await currentProblems(host, plan);
    if (problems.length === 0) return { ...facts, current: 'healthy' };
    const named = problems.map((s) => `${s.service} (${s.detail})`).join(', ');
    if (!options.allowUnhealthyCurrent) {
      throw failure('CurrentVersionUnhealthy', `the running version fails its own health check: ${named}: fix the configuration, or pass --allow-unhealthy-current`);
    }
    return { ...facts, current: 'unhealthy', currentProblems: named };
  });
}

/** The running stack's probes, allowed a short grace; no image is expected (any version may run). */
async function currentProblems(host: RemoteHost, plan: DeployPlan): Promise<ServiceHealth[]> {
  const deadline = Date.now() + Math.min(CURRENT_HEALTH_GRACE_SECONDS, plan.health.timeoutSeconds) * 1000;
  for (;;) {
    const report = await checkStack(host, plan, []);
    const problems = report.services.filter((s) => !s.healthy);
    if (problems.length === 0 || Date.now() >= deadline) return problems;
    await sleep(plan.health.intervalSeconds * 1000);
  }
}

/** Compose v2 where the plugin exists (as in production), else v1. */
async function detectCompose(host: RemoteHost): Promise<Pick<HostFacts, 'compose' | 'composeVersion'> | null> {
  const v2 = await host.run(composeV2Version(), { timeoutSeconds: 30 });
  if (v2.code === 0) return { compose: 'v2', composeVersion: v2.stdout.trim() };
  const v1 = await host.run(composeV1Version(), { timeoutSeconds: 30 });
  if (v1.code === 0) return { compose: 'v1', composeVersion: v1.stdout.trim() };
  return null;
}

/** Free space where the stack lives (its parent before the first deploy). */
export async function freeDisk(host: RemoteHost, dir: string): Promise<number> {
  for (const path of [dir, '/']) {
    const df = await host.run(freeDiskKb(path), { timeoutSeconds: 30 });
    const available = Number(df.stdout.trim().split('\n')[1]?.split(/\s+/)[3]);
    if (df.code === 0 && Number.isFinite(available)) return Math.floor(available / 1024);
  }
  throw failure('PreflightFailed', `cannot read free disk space on the host`);
}
