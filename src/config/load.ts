// Reads smokestack.yml, validates it against the schema and resolves paths.
// Every error names the file and the field, before anything touches a host.
import { readFileSync, existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { configSchema, type Config, type EnvironmentConfig } from './schema.ts';
import type { SecretRef } from '../workflows/types.ts';
import { knownHostsName, knownKeysFor } from '../ssh/known-hosts.ts';

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const DEFAULT_CONFIG_FILE = 'smokestack.yml';

/** The config file in use: --config, else $SMOKESTACK_CONFIG, else ./smokestack.yml. */
export function configPath(explicit?: string): string {
  return resolve(explicit ?? process.env.SMOKESTACK_CONFIG ?? DEFAULT_CONFIG_FILE);
}

export interface LoadOptions {
  /**
   * Refuse an environment whose host key is not pinned (the default). Only
   * `smokestack hosts trust`, which pins it, reads the file without this.
   */
  requireHostKeys?: boolean;
}

export function loadConfig(file = configPath(), options: LoadOptions = {}): Config {
  if (!existsSync(file)) throw new ConfigError(file, ['the file does not exist']);
  if (!statSync(file).isFile()) throw new ConfigError(file, ['is not a file (--config, or $SMOKESTACK_CONFIG, names a configuration file)']);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0) throw new ConfigError(file, doc.errors.map((e) => `YAML: ${e.message}`));
  return parseConfig(doc.toJS(), file, options);
}

/** Validates an already-parsed document; `file` names it in errors and anchors relative paths. */
export function parseConfig(raw: unknown, file: string, options: LoadOptions = {}): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.map(describeIssue));
  const base = dirname(file);
  const problems: string[] = [];
  for (const [name, env] of Object.entries(parsed.data.environments)) {
    resolveEnvironmentPaths(env, base, `environments.${name}`, problems);
  }
  const discord = parsed.data.notifications?.discord;
  if (discord) discord.webhook = resolveSecretPath(discord.webhook, base);
  const promotion = parsed.data.promotion;
  if (promotion?.allowedSignersFile) promotion.allowedSignersFile = expandPath(promotion.allowedSignersFile, base);
  if (parsed.data.stateDir) parsed.data.stateDir = expandPath(parsed.data.stateDir, base);
  if (parsed.data.knownHostsFile) parsed.data.knownHostsFile = expandPath(parsed.data.knownHostsFile, base);
  pinHostKeys(parsed.data, options.requireHostKeys ?? true, problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return parsed.data;
}

function resolveEnvironmentPaths(env: EnvironmentConfig, base: string, at: string, problems: string[]): void {
  env.privateKey = expandPath(env.privateKey, base);
  env.composeFile = resolve(base, env.composeFile);
  if (!existsSync(env.composeFile)) problems.push(`${at}.composeFile: ${env.composeFile} does not exist`);
  for (const field of ['extraFiles', 'readableExtraFiles'] as const) {
    env[field] = env[field].map((f, i) => {
      const path = resolve(base, f);
      if (!existsSync(path)) problems.push(`${at}.${field}.${i}: ${path} does not exist`);
      return path;
    });
  }
  for (const [name, source] of Object.entries(env.secrets)) env.secrets[name] = resolveSecretPath(source, base);
}

/**
 * Every environment's host key, pinned: its own hostKey, else the keys the
 * known_hosts file lists for its host. None: the environment is refused,
 * naming the fix. A key the file revokes is refused even when pinned.
 */
function pinHostKeys(config: Config, required: boolean, problems: string[]): void {
  const file = config.knownHostsFile;
  const text = file && existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (file && text === undefined && required) problems.push(`knownHostsFile: ${file} does not exist (\`smokestack hosts trust ENV\` writes it)`);
  for (const [name, env] of Object.entries(config.environments)) {
    const known = text === undefined ? { keys: [], revoked: [] } : knownKeysFor(text, env.host, env.port);
    const pinned = env.hostKey === undefined ? [] : [env.hostKey].flat();
    const revoked = pinned.filter((k) => known.revoked.includes(k));
    if (revoked.length) problems.push(`environments.${name}.hostKey: ${revoked.join(', ')} is revoked in ${file}`);
    if (pinned.length === 0 && known.keys.length > 0) env.hostKey = known.keys.map((k) => k.fingerprint);
    else if (pinned.length === 0 && required) {
      problems.push(
        `environments.${name}: no pinned SSH host key for ${knownHostsName(env.host, env.port)}: a machine in the middle would get root commands and secrets. Pin it: \`smokestack hosts trust ${name}\`${file ? ` (adds it to ${file})` : ''}, or set hostKey: SHA256:… (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host)`,
      );
    }
  }
}

function resolveSecretPath(source: SecretRef, base: string): SecretRef {
  return 'file' in source ? { ...source, file: expandPath(source.file, base) } : source;
}

/** Expands ~ and ${VAR} / ${VAR:-default} in a path, then anchors it at base. */
function expandPath(path: string, base: string): string {
  const expanded = path
    .replace(/^~(?=\/|$)/, homedir())
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, fallback?: string) =>
      process.env[name] || fallback || '',
    );
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${[...issue.path, key].join('.')}: unknown field (a typo?)`).join('; ');
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  // zod says only "Invalid key in record"; the reason is in the nested issues.
  if (issue.code === 'invalid_key') return `${field}: invalid name: ${issue.issues.map((i) => i.message).join('; ')}`;
  // A value matching none of a union's forms: the problems of the form it
  // came closest to say most (`{ env: X, typo: 1 }` has an unknown field, it
  // does not lack a `file`). With no single closest form, the union's own message.
  if (issue.code === 'invalid_union') {
    const closest = closestForm(issue.errors);
    if (closest) return closest.map((i) => describeIssue({ ...i, path: [...issue.path, ...i.path] })).join('; ');
  }
  return `${field}: ${issue.message}`;
}

function closestForm(forms: z.core.$ZodIssue[][]): z.core.$ZodIssue[] | null {
  const sizes = forms.map((issues) => issues.length).filter((n) => n > 0);
  const fewest = Math.min(...sizes);
  const closest = forms.filter((issues) => issues.length === fewest);
  return closest.length === 1 ? closest[0]! : null;
}
