// Secrets are read by the worker only: checked when a deploy is planned, read
// again at the moment they are written to a host. They never pass through a
// workflow, its history, an error message or a log line.
import { readFileSync } from 'node:fs';
import { envWritable, NOT_ENV_WRITABLE } from '../config/env-file.ts';
import type { SecretRef } from '../workflows/types.ts';
import { failure } from '../workflows/failures.ts';

export function readSecret(name: string, source: SecretRef): string {
  let value: string | undefined;
  if ('env' in source) {
    value = process.env[source.env];
    if (value === undefined || value === '') {
      throw failure('SecretMissing', `secret ${name}: environment variable ${source.env} is not set on the worker`);
    }
  } else {
    try {
      value = readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw failure('SecretMissing', `secret ${name}: cannot read ${source.file}: ${(err as Error).message}`);
    }
  }
  return source.encode === 'uri' ? encodeURIComponent(value) : value;
}

const BARE_VALUE = /^[A-Za-z0-9_@%+=:,./-]*$/;

/**
 * A .env line both Compose v2 and v1 read back to the exact value: bare when
 * safe, else single-quoted (literal in both). A value that cannot be written
 * exactly is refused rather than silently changed.
 */
export function envLine(name: string, value: string): string {
  if (BARE_VALUE.test(value)) return `${name}=${value}`;
  if (!envWritable(value)) throw failure('InvalidSetting', `setting ${name} ${NOT_ENV_WRITABLE}`);
  return `${name}='${value}'`;
}

/**
 * Reads every secret once, at planning time, so a missing or unwritable one
 * fails the deploy before any host is touched instead of halfway through the
 * upload. The values are dropped here; only the upload reads them again.
 */
export function checkSecrets(secrets: Record<string, SecretRef>): void {
  for (const [name, source] of Object.entries(secrets)) {
    if (!envWritable(readSecret(name, source))) {
      throw failure('InvalidSetting', `secret ${name} (${whereFrom(source)}) ${NOT_ENV_WRITABLE}`);
    }
  }
}

const whereFrom = (source: SecretRef): string =>
  'env' in source ? `environment variable ${source.env}` : `file ${source.file}`;
