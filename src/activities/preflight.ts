// Preflight: the host answers, has Docker and Compose, and has room.
import { ApplicationFailure } from '@temporalio/common';
import { dockerVersion } from '../commands/docker.ts';
import { composeV1Version, composeV2Version } from '../commands/compose.ts';
import { freeDiskKb } from '../commands/files.ts';
import type { RemoteHost } from '../ssh/executor.ts';
import type { DeployPlan, HostFacts } from '../workflows/types.ts';
import { onHost } from './remote.ts';

export async function preflight(plan: DeployPlan): Promise<HostFacts> {
  return onHost(plan.host, async (host) => {
    const docker = await host.run(dockerVersion(), { timeoutSeconds: 30 });
    if (docker.code !== 0) {
      throw ApplicationFailure.nonRetryable(`Docker does not answer on ${plan.host.host}: ${docker.stderr.trim()}`, 'PreflightFailed');
    }
    const compose = await detectCompose(host);
    if (!compose) {
      throw ApplicationFailure.nonRetryable(`neither \`docker compose\` nor \`docker-compose\` works on ${plan.host.host}`, 'PreflightFailed');
    }
    const freeDiskMb = await freeDisk(host, plan.deployDir);
    if (freeDiskMb < plan.minFreeDiskMb) {
      throw ApplicationFailure.nonRetryable(
        `only ${freeDiskMb} MB free on ${plan.host.host}, below the ${plan.minFreeDiskMb} MB floor`,
        'PreflightFailed',
      );
    }
    return { ...compose, dockerVersion: docker.stdout.trim(), freeDiskMb };
  });
}

/** Compose v2 where the plugin exists (as in production), else v1. */
export async function detectCompose(host: RemoteHost): Promise<Pick<HostFacts, 'compose' | 'composeVersion'> | null> {
  const v2 = await host.run(composeV2Version(), { timeoutSeconds: 30 });
  if (v2.code === 0) return { compose: 'v2', composeVersion: v2.stdout.trim() };
  const v1 = await host.run(composeV1Version(), { timeoutSeconds: 30 });
  if (v1.code === 0) return { compose: 'v1', composeVersion: v1.stdout.trim() };
  return null;
}

/** Free space where the stack lives (its parent before the first deploy). */
async function freeDisk(host: RemoteHost, dir: string): Promise<number> {
  for (const path of [dir, '/']) {
    const df = await host.run(freeDiskKb(path), { timeoutSeconds: 30 });
    const available = Number(df.stdout.trim().split('\n')[1]?.split(/\s+/)[3]);
    if (df.code === 0 && Number.isFinite(available)) return Math.floor(available / 1024);
  }
  throw ApplicationFailure.nonRetryable(`cannot read free disk space on the host`, 'PreflightFailed');
}
