// Where the lab keeps what it built (lab/lib.sh decides; keep in step).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { homedir } from 'node:os';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const SHARED = resolve(REPO_ROOT, '../shared');

export const LAB_CACHE =
  process.env.SMOKESTACK_CACHE ?? (existsSync('/var/cache/smokestack') ? '/var/cache/smokestack' : join(homedir(), '.cache/smokestack'));

export function temporalBinary(): string {
  const path = join(LAB_CACHE, 'bin', 'temporal');
  if (!existsSync(path)) throw new Error(`no Temporal binary at ${path}: run npm run lab:up first`);
  return path;
}

export const LAB_REGISTRY = 'http://127.0.0.1:5000';
