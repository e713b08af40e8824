// The rollback point and its restore. Tags move; digests do not: the
// previous version is brought back by the exact images its containers ran,
// with its own compose and .env files, and must pass the same health gate.
import { posix } from 'node:path';
import { Context } from '@temporalio/activity';
import { composeUp } from '../../commands/compose.ts';
import { inspectContainers, inspectImages, pullImage, stackContainers } from '../../commands/docker.ts';
import { copyInto, listFiles, makePrivateDir, readVersionSetting, writeFile } from '../../commands/files.ts';
import type { RemoteHost } from '../../ssh/executor.ts';
import type { DeployPlan, HostFacts, RollbackPoint, ServiceImage } from '../../workflows/types.ts';
import { digestFor, pinnedRef } from '../registry/images.ts';
import { jsonLines, lastLines } from '../output.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { rollbackPointsDir, smokestackDir } from './layout.ts';
import { composeProject, ENV_FILE, PINS_FILE, pinsFile, pull } from './stack.ts';
import { failure } from '../../workflows/failures.ts';
import { composeUpTimeoutSeconds } from '../../workflows/timeouts.ts';

export async function captureRollbackPoint(plan: DeployPlan): Promise<RollbackPoint> {
  const info = Context.current().info;
  const runId = info.workflowExecution?.runId ?? info.activityId;
  const savedDir = posix.join(rollbackPointsDir(plan.deployDir), runId);
  return onHost(plan.host, async (host) => {
    const ids = (await host.check(stackContainers(plan.deployDir))).split('\n').filter(Boolean);
    const images = ids.length > 0 ? await imagesOfContainers(host, ids) : [];
    const present = (await host.run(listFiles(plan.deployDir))).stdout.split('\n');
    const savedFiles = [plan.composeFileName, ENV_FILE, PINS_FILE].filter((f) => present.includes(f));
    await host.check(makePrivateDir(savedDir, smokestackDir(plan.deployDir)));
    if (savedFiles.length > 0) await host.check(copyInto(savedDir, savedFiles.map((f) => posix.join(plan.deployDir, f))));
    const previousVersion = present.includes(ENV_FILE)
      ? (await host.check(readVersionSetting(posix.join(plan.deployDir, ENV_FILE)))).trim() || null
      : null;
    return { existed: images.length > 0, savedDir, savedFiles, previousVersion, images };
  });
}

/** Puts the previous files back, pins the previous digests and starts them. The health gate follows. */
export async function restoreRollbackPoint(plan: DeployPlan, facts: HostFacts, point: RollbackPoint): Promise<void> {
  if (!point.savedFiles.includes(plan.composeFileName)) {
    throw failure('RollbackImpossible', `no previous ${plan.composeFileName} was saved: nothing to restore from`);
  }
  await onHost(plan.host, async (host) => {
    await host.check(copyInto(plan.deployDir, point.savedFiles.map((f) => posix.join(point.savedDir, f))));
    const label = { environment: plan.environment, version: point.previousVersion ?? 'previous' };
    await host.check(writeFile(posix.join(plan.deployDir, PINS_FILE), pinsFile(label, point.images)));
    for (const image of point.images) await ensureImage(host, image);
    const services = point.images.map((i) => i.service).filter((s) => !plan.holdDuringDeploy.includes(s));
    const up = await whileHeartbeating(
      host.run(composeUp(composeProject(plan, facts), services, { removeOrphans: true }), {
        timeoutSeconds: composeUpTimeoutSeconds(plan.health.timeoutSeconds),
      }),
    );
    if (up.code !== 0) {
      throw failure('RestoreFailed', `compose up of the previous version failed: ${lastLines(up.stderr || up.stdout, 8)}`);
    }
  });
}

/** The image must be on the host; pulled by digest if it is not (a moved tag cannot interfere). */
async function ensureImage(host: RemoteHost, image: ServiceImage): Promise<void> {
  const ref = pinnedRef(image);
  if ((await host.run(inspectImages([ref]))).code === 0) return;
  if (!image.digest) {
    throw failure('RestoreFailed', `image ${image.imageId} of ${image.service} is gone and has no registry digest`);
  }
  await pull(host, pullImage(image.digest));
}

interface ContainerInfo {
  Image: string;
  Config: { Image: string; Labels?: Record<string, string> };
}

/** Each container's compose service, image ID and registry digest. */
export async function imagesOfContainers(host: RemoteHost, ids: string[]): Promise<ServiceImage[]> {
  const containers = jsonLines<ContainerInfo>(await host.check(inspectContainers(ids)));
  const imageIds = [...new Set(containers.map((c) => c.Image))];
  const images = jsonLines<{ Id: string; RepoDigests?: string[] }>(await host.check(inspectImages(imageIds)));
  const repoDigests = new Map(images.map((image) => [image.Id, image.RepoDigests ?? []]));
  return containers
    .map((c) => ({
      service: c.Config.Labels?.['com.docker.compose.service'] ?? 'unknown',
      image: c.Config.Image,
      digest: digestFor(c.Config.Image, repoDigests.get(c.Image) ?? []),
      imageId: c.Image,
    }))
    .sort((a, b) => a.service.localeCompare(b.service));
}
