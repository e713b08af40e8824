// The stack on the host: its files, its images, its containers.
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { posix } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { composeConfig, composePull, composeStop, composeUp, type ComposeProject } from '../../commands/compose.ts';
import { containerLogs, inspectImages, pullImage } from '../../commands/docker.ts';
import { listFiles, makeDir, MODES, writeFile, type Access } from '../../commands/files.ts';
import { RemoteCommandError, type RemoteHost } from '../../ssh/executor.ts';
import type { DeployPlan, HostFacts, ReleaseImage, ServiceImage } from '../../workflows/types.ts';
import { digestFor, isMissingImage } from '../registry/images.ts';
import { digestIn, repositoryOf } from '../../workflows/image-refs.ts';
import { describe, type Command } from '../../commands/command.ts';
import { composeUpTimeoutSeconds, PULL_TIMEOUT_SECONDS, RELEASE_TIMEOUT_SECONDS } from '../../workflows/timeouts.ts';
import { jsonLines, lastLines } from '../output.ts';
import { sha256 } from '../hash.ts';
import { onHost, whileHeartbeating } from '../remote.ts';
import { envLine, readSecret } from '../secrets.ts';
import { failure, unhealthyFailure } from '../../workflows/failures.ts';

/** Written beside the compose file: every service pinned to the digest pulled for this deploy. */
export const PINS_FILE = 'smokestack.pins.yml';
export const ENV_FILE = '.env';

export function composeProject(plan: DeployPlan, facts: HostFacts, pinned = true): ComposeProject {
  const files = [posix.join(plan.deployDir, plan.composeFileName)];
  if (pinned) files.push(posix.join(plan.deployDir, PINS_FILE));
  return { flavor: facts.compose, dir: plan.deployDir, files };
}

/**
 * Uploads the compose file and its companions, and writes .env with the
 * version and secrets: all 0600 (folders 0700), but for readableExtraFiles,
 * which containers read as users of their own (0644, folders 0755).
 */
export async function uploadStack(plan: DeployPlan): Promise<void> {
  const compose = readFileSync(plan.composeFile);
  if (sha256(compose) !== plan.composeSha256) {
    throw failure('ConfigChanged', `${plan.composeFile} changed since this deploy was planned`);
  }
  const env = [envLine('VERSION', plan.version)];
  for (const [name, value] of Object.entries(plan.settings)) env.push(envLine(name, value));
  for (const [name, source] of Object.entries(plan.secrets)) env.push(envLine(name, readSecret(name, source)));

  await onHost(plan.host, async (host) => {
    await host.check(makeDir(plan.deployDir));
    await host.check(writeFile(posix.join(plan.deployDir, plan.composeFileName), compose.toString('utf8')));
    const extras = [...plan.extraFiles.map((local) => ({ local, access: 'private' as Access })), ...(plan.readableExtraFiles ?? []).map((local) => ({ local, access: 'readable' as Access }))];
    for (const { local, access } of extras) {
      const remote = posix.join(plan.deployDir, basename(local));
      if (statSync(local).isDirectory()) await host.uploadDir(local, remote, access);
      else await host.check(writeFile(remote, readFileSync(local, 'utf8'), MODES[access].file));
    }
    await host.check(writeFile(posix.join(plan.deployDir, ENV_FILE), env.join('\n') + '\n'));
  });
}

/**
 * Pulls the stack's images, then pins each service to the digest it got.
 * Given exact images (a rollback to a recorded version), pulls those by digest instead.
 */
export async function pullImages(plan: DeployPlan, facts: HostFacts, exact?: ServiceImage[], expected?: ReleaseImage[]): Promise<ServiceImage[]> {
  return onHost(plan.host, async (host) => {
    const project = composeProject(plan, facts, false);
    let images: ServiceImage[];
    if (exact) {
      await Promise.all(exact.map((image) => (image.digest ? pull(host, pullImage(image.digest)) : undefined)));
      images = await withImageIds(host, exact);
    } else {
      await pull(host, composePull(project));
      images = await resolveImages(host, project);
    }
    // Checked before the pins are written: a stack never starts on images that are not the release's.
    if (expected) {
      const wrong = mismatchedImages(images, expected);
      if (wrong.length > 0) throw failure('ImageMismatch', `not the release's images: ${wrong.join('; ')}`);
    }
    await host.check(writeFile(posix.join(plan.deployDir, PINS_FILE), pinsFile(plan, images, composeFileVersion(plan))));
    return images;
  });
}

/** Each image of an expected repository that did not resolve to the expected digest, described. */
export function mismatchedImages(images: ServiceImage[], expected: ReleaseImage[]): string[] {
  return images.flatMap((image) => {
    const want = expected.find((e) => e.repository === repositoryOf(image.image));
    const got = digestIn(image.digest);
    return want && got !== want.digest ? [`${image.service} runs ${image.image} at ${got ?? 'no registry digest'}, the release has ${want.digest}`] : [];
  });
}

/** Runs a pull; an image the registry does not have fails at once (ImageNotFound), anything else may be retried. */
export async function pull(host: RemoteHost, command: Command): Promise<void> {
  const result = await whileHeartbeating(host.run(command, { timeoutSeconds: PULL_TIMEOUT_SECONDS }));
  if (result.code === 0) return;
  const output = result.stderr || result.stdout;
  if (isMissingImage(output)) throw failure('ImageNotFound', `the registry has no such image: ${lastLines(output, 3)}`);
  throw new RemoteCommandError(describe(command), result);
}

/** `up -d` on the pinned stack, held services excepted. Never `down` first: a failed start leaves the old containers. */
export async function startStack(plan: DeployPlan, facts: HostFacts, images: ServiceImage[]): Promise<void> {
  const services = plan.holdDuringDeploy.length > 0 ? images.map((i) => i.service).filter((s) => !plan.holdDuringDeploy.includes(s)) : [];
  await onHost(plan.host, async (host) => {
    const up = await whileHeartbeating(
      host.run(composeUp(composeProject(plan, facts), services), { timeoutSeconds: composeUpTimeoutSeconds(plan.health.timeoutSeconds) }),
    );
    if (up.code !== 0) throw await startFailure(host, plan, up.stderr || up.stdout);
  });
}

/** Says which service kept the stack from starting, with its last log lines, when Compose names one. */
async function startFailure(host: RemoteHost, plan: DeployPlan, output: string): Promise<ApplicationFailure> {
  const container = /container (\S+) (?:is unhealthy|exited)/.exec(output)?.[1];
  const service = Object.entries(plan.services).find(([, s]) => s.container === container)?.[0];
  const unhealthy = service ? [{ service, container: container!, healthy: false, detail: 'unhealthy' }] : [];
  const logs: Record<string, string> = {};
  if (service) logs[service] = lastLines((await host.run(containerLogs(container!, 20))).stdout, 20);
  return unhealthyFailure('StartFailed', `compose up failed: ${lastLines(output, 1)}`, { unhealthy, logs });
}

/** Stops the services that must not run during a deploy (Watchtower would race it). */
export async function holdServices(plan: DeployPlan, facts: HostFacts): Promise<void> {
  await onHost(plan.host, async (host) => {
    // A first deploy has no compose file yet, so nothing to stop.
    if ((await host.run(listFiles(posix.join(plan.deployDir, plan.composeFileName)))).code !== 0) return;
    await host.check(composeStop(composeProject(plan, facts, false), plan.holdDuringDeploy));
  });
}

/** Starts the held services again, on whatever stack is now in place. */
export async function releaseServices(plan: DeployPlan, facts: HostFacts): Promise<void> {
  await onHost(plan.host, async (host) => {
    await host.check(composeUp(composeProject(plan, facts), plan.holdDuringDeploy), { timeoutSeconds: RELEASE_TIMEOUT_SECONDS });
  });
}

/** The image each compose service names, with the digest and ID it resolves to on this host. */
async function resolveImages(host: RemoteHost, project: ComposeProject): Promise<ServiceImage[]> {
  const model = parseYaml(await host.check(composeConfig(project))) as { services?: Record<string, { image?: string }> };
  const services = Object.entries(model.services ?? {}).filter(([, s]) => s.image);
  const refs = services.map(([, s]) => s.image!);
  const inspected = await host.run(inspectImages(refs));
  const byRef = new Map<string, { Id: string; RepoDigests: string[] }>();
  jsonLines<{ Id: string; RepoDigests: string[] }>(inspected.stdout).forEach((image, i) => byRef.set(refs[i]!, image));
  if (inspected.code !== 0 && byRef.size < refs.length) throw new RemoteCommandError('docker image inspect', inspected);
  return services.map(([service, s]) => {
    const image = byRef.get(s.image!)!;
    return { service, image: s.image!, digest: digestFor(s.image!, image.RepoDigests ?? []), imageId: image.Id };
  });
}

/** The local image ID of each exact image, as pulled on this host. */
async function withImageIds(host: RemoteHost, images: ServiceImage[]): Promise<ServiceImage[]> {
  const refs = images.map((i) => i.digest ?? i.imageId);
  const ids = jsonLines<{ Id: string }>(await host.check(inspectImages(refs))).map((image) => image.Id);
  return images.map((image, i) => ({ ...image, imageId: ids[i]! }));
}

/** A compose override pinning every service to an exact image. */
export function pinsFile(plan: Pick<DeployPlan, 'environment' | 'version'>, images: ServiceImage[], composeVersion?: string): string {
  const services = Object.fromEntries(images.map((i) => [i.service, { image: i.digest ?? i.imageId }]));
  const header = `# Written by smokestack for ${plan.environment} ${plan.version}: the exact images deployed.\n`;
  return header + toYaml(composeVersion ? { version: composeVersion, services } : { services });
}

/** The compose file's legacy `version:`; Compose v1 needs an override file to repeat it. */
function composeFileVersion(plan: DeployPlan): string | undefined {
  const doc = parseYaml(readFileSync(plan.composeFile, 'utf8')) as { version?: unknown };
  return typeof doc?.version === 'string' ? doc.version : undefined;
}
