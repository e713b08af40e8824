// Pure builders for Docker Compose. Production hosts have Compose v2 (the
// `docker compose` plugin); older hosts only `docker-compose` (v1). Both
// take the same flags for everything smokestack does.
import type { ComposeFlavor } from '../workflows/types.ts';
import { cmd, type Command } from './command.ts';

export const composeV2Version = (): Command => cmd('docker', 'compose', 'version', '--short');
export const composeV1Version = (): Command => cmd('docker-compose', 'version', '--short');

export interface ComposeProject {
  flavor: ComposeFlavor;
  /** Deploy directory: the project directory, so the project name stays what upstream used. */
  dir: string;
  /** Compose files, in override order (the stack, then smokestack's digest pins). */
  files: readonly string[];
}

function compose(project: ComposeProject, ...args: string[]): Command {
  const base = project.flavor === 'v2' ? ['docker', 'compose'] : ['docker-compose'];
  const files = project.files.flatMap((f) => ['--file', f]);
  return cmd(...base, '--project-directory', project.dir, ...files, ...args);
}

/** The resolved model (images after .env interpolation); v1 prints YAML, v2 JSON: both parse as YAML. */
export const composeConfig = (p: ComposeProject): Command =>
  p.flavor === 'v2' ? compose(p, 'config', '--format', 'json') : compose(p, 'config');

export const composePull = (p: ComposeProject, services: readonly string[] = []): Command =>
  compose(p, 'pull', '--quiet', ...services);

/** Never preceded by `down`: containers are replaced one by one, never all stopped first. */
export const composeUp = (p: ComposeProject, services: readonly string[] = [], options: { removeOrphans?: boolean } = {}): Command =>
  compose(p, 'up', '--detach', '--no-build', ...(options.removeOrphans ? ['--remove-orphans'] : []), ...services);

export const composeStop = (p: ComposeProject, services: readonly string[]): Command => compose(p, 'stop', ...services);
