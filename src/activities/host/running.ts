// What a stack runs now, read without changing anything: the version in its
// .env, each container's exact image, and one look at its health. A
// promotion's candidate is taken from here, not from what a tag says.
import { posix } from 'node:path';
import { stackContainers } from '../../commands/docker.ts';
import { listFiles, readVersionSetting } from '../../commands/files.ts';
import type { DeployPlan, RunningStack } from '../../workflows/types.ts';
import { onHost } from '../remote.ts';
import { checkStack } from './health.ts';
import { imagesOfContainers } from './rollback.ts';
import { ENV_FILE } from './stack.ts';

export async function inspectRunning(plan: DeployPlan): Promise<RunningStack> {
  return onHost(plan.host, async (host) => {
    const ids = (await host.check(stackContainers(plan.deployDir))).split('\n').filter(Boolean);
    if (ids.length === 0) return { environment: plan.environment, version: null, images: [], healthy: false, problems: 'no stack running' };
    const images = await imagesOfContainers(host, ids);
    const present = (await host.run(listFiles(plan.deployDir))).stdout.split('\n');
    const version = present.includes(ENV_FILE) ? (await host.check(readVersionSetting(posix.join(plan.deployDir, ENV_FILE)))).trim() || null : null;
    const report = await checkStack(host, plan, images);
    const problems = report.services.filter((s) => !s.healthy).map((s) => `${s.service} (${s.detail})`);
    return { environment: plan.environment, version, images, healthy: report.healthy, ...(problems.length ? { problems: problems.join(', ') } : {}) };
  });
}
