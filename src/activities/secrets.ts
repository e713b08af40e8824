// Secrets are read by the worker, at the moment they are written to a host.
// They never pass through a workflow, its history or a log line.
import { readFileSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import type { SecretSource } from '../config/schema.ts';

export function readSecret(name: string, source: SecretSource): string {
  let value: string | undefined;
  if ('env' in source) {
    value = process.env[source.env];
    if (value === undefined || value === '') {
      throw ApplicationFailure.nonRetryable(`secret ${name}: environment variable ${source.env} is not set on the worker`, 'SecretMissing');
    }
  } else {
    try {
      value = readFileSync(source.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw ApplicationFailure.nonRetryable(`secret ${name}: cannot read ${source.file}: ${(err as Error).message}`, 'SecretMissing');
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
  if (/[\n\r']/.test(value)) {
    throw ApplicationFailure.nonRetryable(`setting ${name} holds a quote or line break and cannot be written to .env exactly`, 'InvalidSetting');
  }
  return `${name}='${value}'`;
}
