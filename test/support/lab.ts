// Looking at the lab from outside, independently of smokestack's own code:
// `docker exec` into a host for its containers and files, HTTP to the registry.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeSSH } from 'node-ssh';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { LAB_CACHE, LAB_REGISTRY, REPO_ROOT } from './paths.ts';

export type LabHost = 'dev-cloud' | 'prod-cloud' | 'virtual-smoker' | 'smoker' | 'smoker-2' | 'smoker-3' | 'smokecloud';

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

/** The cloud stack's application containers and their repositories. */
export const CLOUD_APPS = { backend_cloud: 'benjr70/smart-smoker-backend', frontend_cloud: 'benjr70/smart-smoker-frontend' };

/** Each app container on the host runs the registry's digest of that version. */
export async function expectAppsRun(host: LabHost, version: string, apps: Record<string, string> = CLOUD_APPS): Promise<void> {
  const running = runningDigests(host, Object.keys(apps));
  for (const [container, repo] of Object.entries(apps)) {
    expect(running[container], container).toContain(`${repo}@${await registryDigest(repo, version)}`);
  }
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

/** One `docker compose` call on a lab host, as its recorder saw it (lab/host/compose-recorder); times in ms. */
export interface ComposeCall {
  pid: string;
  args: string;
  startedAt: number;
  endedAt?: number;
  exitCode?: number;
}

export function composeCalls(host: LabHost): ComposeCall[] {
  const calls = new Map<string, ComposeCall>();
  const log = tryOnHost(host, 'cat /var/log/compose.calls').stdout;
  for (const line of log.split('\n').filter(Boolean)) {
    const [time, what, pid, ...rest] = line.split(' ');
    const ms = Number(time) * 1000;
    if (what === 'start') calls.set(pid!, { pid: pid!, args: rest.join(' '), startedAt: ms });
    else if (calls.has(pid!)) Object.assign(calls.get(pid!)!, { endedAt: ms, exitCode: Number(rest[0]) });
  }
  return [...calls.values()];
}

/** A Compose subcommand call (e.g. `up`, `pull`) by its arguments. */
export const isCompose = (call: ComposeCall, subcommand: string) => new RegExp(` ${subcommand}( |$)`).test(call.args);

/** Start and stop events of a container, seen by the host's Docker engine since a time (ms). */
export function containerEvents(host: LabHost, container: string, sinceMs: number): { action: string; at: number }[] {
  const since = Math.floor(sinceMs / 1000);
  const until = Math.ceil(Date.now() / 1000) + 1;
  const out = onHost(
    host,
    `docker events --since ${since} --until ${until} --filter type=container --filter container=${container} --filter event=start --filter event=stop --filter event=die --format '{{json .}}'`,
  );
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { Action: string; timeNano: number })
    .map((e) => ({ action: e.Action, at: e.timeNano / 1e6 }));
}

/**
 * Makes a version unreachable by tag on a host, so that only a restore by
 * digest can bring it back: images no container uses are deleted (tags and
 * digests), and images in use lose their tag.
 */
export function forgetVersion(host: LabHost, repos: string[], version: string): void {
  for (const repo of repos) {
    onHost(
      host,
      `id=$(docker image inspect --format '{{.Id}}' ${repo}:${version} 2>/dev/null) || exit 0; ` +
        `docker image rm --force "$id" >/dev/null 2>&1 || docker image rm --force ${repo}:${version} >/dev/null`,
    );
    if (tryOnHost(host, `docker image inspect ${repo}:${version}`).code === 0) throw new Error(`${host} still has ${repo}:${version}`);
  }
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
      `docker images --digests --no-trunc --format '{{.Repository}} {{.Tag}} {{.Digest}} {{.ID}}' | sort`,
      `find /opt -type d 2>/dev/null | sort`,
      `find /opt -type f -exec sha256sum {} + 2>/dev/null | sort`,
      // The database's files by name only: it rewrites their contents on its own.
      `find /database 2>/dev/null | sort`,
      // Files a deploy might leave in /tmp, without runc's own: the engine's
      // health-check execs create and delete runc-process* files at any moment.
      `find /tmp -mindepth 1 -maxdepth 1 ! -name 'runc-process*' | sort`,
    ].join('; echo ---; '),
  );
}

/** A clean machine: no containers, no stack files, no database. */
export function resetHost(host: LabHost): void {
  onHost(host, 'docker rm -f $(docker ps -aq) >/dev/null 2>&1; rm -rf /database /opt/smart-smoker-dev /opt/smart-smoker-prod /opt/smart-smoker /opt/smoker-device /var/log/compose.calls; mkdir -p /opt; true');
}

/** What the lab's Discord stand-in was sent that `about` picks, once two such messages arrived (notices are delivered beside a run). */
export async function labDiscordMessages(about: (m: { title: string; url?: string }) => boolean): Promise<{ title: string; url?: string }[]> {
  const file = join(LAB_CACHE, 'lab', 'discord.jsonl');
  for (let i = 0; ; i++) {
    const all = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { title: string; url?: string }) : [];
    const picked = all.filter(about);
    if (picked.length >= 2 || i >= 200) return picked;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A path as one word of a host's shell script. */
const shellWord = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;

/**
 * What an SSH session on the host starts with, before any command of
 * smokestack's (whose executor sets `umask 077` first): an ssh2 exec
 * channel, as the worker opens, asked `umask` raw.
 */
export async function loginUmask(host: LabHost): Promise<string> {
  const env = loadConfig(join(REPO_ROOT, 'smokestack.yml')).environments[host]!;
  const ssh = new NodeSSH();
  await ssh.connect({ host: env.host, port: env.port, username: env.user, privateKeyPath: env.privateKey });
  try {
    return (await ssh.execCommand('umask')).stdout.trim();
  } finally {
    ssh.dispose();
  }
}

const PAM_UMASK_MARK = 'smokestack-lab-permissive-umask';

/**
 * Makes the host as careless as a host can be: every new SSH session, its
 * SFTP server included, gets umask 000 (pam_umask in sshd's session stack,
 * where a real host's login.defs UMASK or PAM rule would set it). Only the
 * modes smokestack sets itself then keep its files private. Checked through
 * a new ssh2 session. Returns the undo (connections already open keep the
 * umask they got).
 */
export async function permissiveLoginUmask(host: LabHost): Promise<() => void> {
  const undo = () => void onHost(host, `sed -i '/${PAM_UMASK_MARK}/d' /etc/pam.d/sshd`);
  undo();
  onHost(host, `echo 'session optional pam_umask.so umask=0000 # ${PAM_UMASK_MARK}' >> /etc/pam.d/sshd`);
  expect(await loginUmask(host), `the login umask of a new SSH session on ${host}`).toBe('0000');
  return undo;
}

/**
 * Every file under `paths` (each a file or a folder, which must exist) has
 * exactly mode `file`, and every folder, the folders named included, mode
 * `dir`; nothing else (no link, no socket). Judged by the host's own find.
 * Returns every path it judged, so a test can say what must have been among them.
 */
export function expectModes(host: LabHost, paths: string[], modes: { file: string; dir: string }): string[] {
  const listed = onHost(host, `find ${paths.map(shellWord).join(' ')} -printf '%y %m %p\\n'`);
  const entries = listed.split('\n').filter(Boolean).map((line) => {
    const [type, mode, ...path] = line.split(' ');
    return { type, mode, path: path.join(' ') };
  });
  const wrong = entries.filter((e) => !(e.type === 'f' && e.mode === modes.file) && !(e.type === 'd' && e.mode === modes.dir));
  expect(wrong.map((e) => `${e.type} ${e.mode} ${e.path}`), `on ${host}: files must be ${modes.file}, folders ${modes.dir}`).toEqual([]);
  return entries.map((e) => e.path);
}

/** What smokestack wrote is its owner's alone: files 0600, folders 0700 (commands/files.ts). */
export const expectPrivateFiles = (host: LabHost, paths: string[]) => expectModes(host, paths, { file: '600', dir: '700' });

/** What containers read as users of their own (readableExtraFiles): files 0644, folders 0755. */
export const expectReadableFiles = (host: LabHost, paths: string[]) => expectModes(host, paths, { file: '644', dir: '755' });
