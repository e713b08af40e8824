// Looking at the lab from outside, independently of smokestack's own code:
// `docker exec` into a host for its containers and files, HTTP to the registry.
import { execFileSync, spawnSync } from 'node:child_process';
import { LAB_REGISTRY } from './paths.ts';

export type LabHost = 'dev-cloud' | 'prod-cloud' | 'virtual-smoker' | 'smoker';

export const hostContainer = (host: LabHost) => `smokestack-lab-${host}`;

/** Runs a shell script on a lab host (as root, through docker exec, not SSH). */
export function onHost(host: LabHost, script: string): string {
  return execFileSync('docker', ['exec', hostContainer(host), 'sh', '-c', script], { encoding: 'utf8' });
}

export function tryOnHost(host: LabHost, script: string): { code: number; stdout: string } {
  const r = spawnSync('docker', ['exec', hostContainer(host), 'sh', '-c', script], { encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout };
}

/** The manifest digest the lab registry serves for repository:tag. */
export async function registryDigest(repository: string, tag: string): Promise<string> {
  const res = await fetch(`${LAB_REGISTRY}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept: [
        'application/vnd.docker.distribution.manifest.list.v2+json',
        'application/vnd.docker.distribution.manifest.v2+json',
        'application/vnd.oci.image.index.v1+json',
        'application/vnd.oci.image.manifest.v1+json',
      ].join(', '),
    },
  });
  if (!res.ok) throw new Error(`registry: ${repository}:${tag} -> ${res.status}`);
  return res.headers.get('docker-content-digest')!;
}

/** For each container: the repository digest of the image it runs (from the host's Docker). */
export function runningDigests(host: LabHost, containers: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of containers) {
    const imageId = onHost(host, `docker inspect --format '{{.Image}}' ${c}`).trim();
    out[c] = JSON.parse(onHost(host, `docker image inspect --format '{{json .RepoDigests}}' ${imageId}`)) as string[];
  }
  return out;
}

/**
 * Everything a deploy could change on a host: its containers (by ID, so a
 * recreate shows), the files under /opt, and /tmp. The live database files
 * are left out: the database writes them on its own (SQLite's -shm/-wal).
 */
export function hostSnapshot(host: LabHost): string {
  return onHost(
    host,
    [
      `docker ps -a --no-trunc --format '{{.Names}} {{.Image}} {{.ID}} {{.Status}}' | sed 's/ Up .*/ Up/' | sort`,
      `find /opt -type f -exec sha256sum {} + 2>/dev/null | sort`,
      `ls -la /tmp | awk '{print $NF}' | sort`,
    ].join('; echo ---; '),
  );
}

/** A clean machine: no containers, no stack files, no database. */
export function resetHost(host: LabHost): void {
  onHost(host, 'docker rm -f $(docker ps -aq) >/dev/null 2>&1; rm -rf /database /opt/smart-smoker-dev /opt/smart-smoker-prod /opt/smoker-device; mkdir -p /opt; true');
}
