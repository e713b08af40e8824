// One environment's host, checked from here over the same SSH executor the
// worker uses: does it answer (and is its key pinned), which Docker Engine
// and Compose it runs against what the stack's compose files need, and how
// much disk is free. Bounded in time, so a powered-off Pi costs one line and
// a few seconds, not a hang.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { dockerVersion } from '../commands/docker.ts';
import { composeV1Version, composeV2Version } from '../commands/compose.ts';
import type { EnvironmentConfig } from '../config/schema.ts';
import { hostTargetOf } from '../activities/plan.ts';
import { freeDisk } from '../activities/host/preflight.ts';
import { HostKeyMismatchError, HostUnreachableError, pinnedKeys, withHost, type RemoteHost } from '../ssh/executor.ts';
import { describeDocker, dockerFindings, type DockerFacts } from './docker-rules.ts';
import { servicesWithStartInterval } from './compose-features.ts';
import { judgeDisk } from './disk.ts';
import { fail, ok, warn, worst, type CheckLine } from './lines.ts';

/** Each command's own limit; the host's whole budget is its connect timeout plus this. */
const COMMAND_SECONDS = 15;
const HOST_BUDGET_EXTRA_SECONDS = 20;

class HostTimedOut extends Error {}

export interface HostCheckOptions {
  /** A device that is off most of the time (a promotion's device): unreachable is a warning, not a failure. */
  oftenOff: boolean;
}

export async function checkHost(name: string, env: EnvironmentConfig, options: HostCheckOptions): Promise<CheckLine[]> {
  const target = hostTargetOf(env);
  const where = `${target.user}@${target.host}:${target.port}`;
  const budgetSeconds = target.connectTimeoutSeconds + HOST_BUDGET_EXTRA_SECONDS;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HostTimedOut(`no answer within ${budgetSeconds}s`)), budgetSeconds * 1000);
  });
  try {
    const facts = await Promise.race([withHost(target, () => undefined, (host) => hostFacts(host, env)), timeout]);
    // It answered, so it presented one of these: nothing connects without a pinned key.
    const pinned = ok(`${name} ssh`, `${where}, host key ${pinnedKeys(target).join(' or ')} (pinned)`);
    return [pinned, dockerLine(`${name} docker`, facts.docker), judgeDisk(`${name} disk`, facts.freeMb, env.minFreeDiskMb, env.deployDir)];
  } catch (err) {
    return [unreachableLine(`${name} ssh`, where, err, options)];
  } finally {
    clearTimeout(timer);
  }
}

function unreachableLine(name: string, where: string, err: unknown, options: HostCheckOptions): CheckLine {
  // A different key is an impostor or a rebuilt host, on or off: always a failure.
  if (err instanceof HostKeyMismatchError) return fail(name, `${err.message}: if the host was rebuilt, check its new key on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and pin it: smokestack hosts trust ENV`);
  if (err instanceof HostUnreachableError || err instanceof HostTimedOut) {
    const why = err instanceof HostTimedOut ? `${where}: ${err.message}` : err.message;
    if (options.oftenOff) return warn(name, `${why} (a device that is often off: fine unless it should be on now)`);
    return fail(name, `${why}: is the host on, and the address, port, user and key right?`);
  }
  return fail(name, `${where}: ${(err as Error).message}`);
}

interface HostFacts {
  docker: DockerFacts;
  freeMb: number;
}

async function hostFacts(host: RemoteHost, env: EnvironmentConfig): Promise<HostFacts> {
  const run = (c: Parameters<RemoteHost['run']>[0]) => host.run(c, { timeoutSeconds: COMMAND_SECONDS });
  const answer = (r: { code: number; stdout: string }) => (r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined);
  const [engine, v2, freeMb] = await Promise.all([run(dockerVersion()), run(composeV2Version()), freeDisk(host, env.deployDir)]);
  const composeV2 = answer(v2);
  // v1 matters only where there is no v2: it is what a deploy would fall back to.
  const composeV1 = composeV2 === undefined ? answer(await run(composeV1Version())) : undefined;
  return { docker: { engine: answer(engine), composeV2, composeV1, startIntervalFiles: startIntervalFiles(env) }, freeMb };
}

/** The environment's compose file, when it sets healthcheck.start_interval: named as the config names it. */
function startIntervalFiles(env: EnvironmentConfig): string[] {
  const services = servicesWithStartInterval(readFileSync(env.composeFile, 'utf8'));
  return services.length ? [`${relative(process.cwd(), env.composeFile)} (${services.join(', ')})`] : [];
}

function dockerLine(name: string, facts: DockerFacts): CheckLine {
  const findings = dockerFindings(facts);
  const detail = [describeDocker(facts), ...findings.map((f) => f.detail)].join('; ');
  return { status: worst(findings.map((f) => f.status)), name, detail };
}
