// Pure builders for the docker CLI commands smokestack runs on hosts.
import { cmd, type Command } from './command.ts';

export const dockerVersion = (): Command => cmd('docker', 'version', '--format', '{{.Server.Version}}');

/** State, health and image of containers, one JSON document per line. */
export const inspectContainers = (names: readonly string[]): Command =>
  cmd('docker', 'container', 'inspect', '--format', '{{json .}}', ...names);

export const inspectImages = (refs: readonly string[]): Command =>
  cmd('docker', 'image', 'inspect', '--format', '{{json .}}', ...refs);

export const pullImage = (ref: string): Command => cmd('docker', 'pull', '--quiet', ref);

export const containerLogs = (name: string, lines: number): Command => ({
  argv: ['docker', 'container', 'logs', '--tail', String(lines), name],
  mergeStderr: true,
});

/** Runs a process check inside a container (compose-style liveness). */
export const containerHasProcess = (container: string, process: string): Command =>
  cmd('docker', 'exec', container, 'pgrep', '-x', process);

/** The containers of one compose stack, by the working-directory label both Compose versions set. */
export const stackContainers = (deployDir: string): Command =>
  cmd('docker', 'container', 'ls', '--all', '--quiet', '--filter', `label=com.docker.compose.project.working_dir=${deployDir}`);

/** Runs a constant script inside a container; values come from the container's own environment. */
export const execScript = (container: string, script: string): Command => cmd('docker', 'exec', '-i', container, 'sh', '-c', script);

export const stopContainers = (names: readonly string[]): Command => cmd('docker', 'stop', '--', ...names);

export const startContainers = (names: readonly string[]): Command => cmd('docker', 'start', '--', ...names);

/** Where the engine keeps images, containers and volumes: the disk a scratch database fills. */
export const dockerRootDir = (): Command => cmd('docker', 'info', '--format', '{{.DockerRootDir}}');

/** The image a container runs, by ID: a scratch copy of a database starts from the very same build. */
export const containerImageId = (container: string): Command => cmd('docker', 'inspect', '--format', '{{.Image}}', '--', container);

/**
 * A throwaway database container: its environment (a one-time root
 * password) read from stdin, never from argv; published on the host's
 * loopback at a port Docker picks; labelled so a leftover is recognisable.
 */
export const runScratchDatabase = (name: string, image: string, environment: string): Command => ({
  argv: ['docker', 'run', '--detach', '--name', name, '--label', 'smokestack.scratch=validation', '--env-file', '/dev/stdin', '--publish', '127.0.0.1::27017', image],
  stdin: environment,
});

/** Where a container's port is published on the host: "127.0.0.1:49153". */
export const publishedPort = (container: string, port: number): Command => cmd('docker', 'port', container, `${port}/tcp`);

/** Removes a container, running or not, with its anonymous volumes (a scratch database's data). */
export const removeContainer = (name: string): Command => cmd('docker', 'rm', '--force', '--volumes', name);
