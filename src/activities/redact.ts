// Secrets out of free text. What hosts say (remote stderr, container log
// lines, health check output) ends up in failure messages and in Discord
// notices, and a service may well print its own password when it fails. One
// redaction for all of it: every secret value the worker knows, in each form
// it may take in text, and the shapes secrets have whatever their value (a
// private key, a password inside a URL, a token, a `password=` setting).
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import type { SecretRef } from '../workflows/types.ts';
import { readSecret } from './secrets.ts';

export const REDACTED = '***';

/** A line of a multi-line secret (a key file) shorter than this is not looked for alone: it could be any text. */
const MIN_LINE_CHARS = 16;

// Each keeps what says what the secret was for (`password=`, the URL's user,
// the key's type) and hides only the value.
const KEY_WORD = '[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*';
const SHAPES: { pattern: RegExp; replacement: string }[] = [
  // A private key (PEM or OpenSSH), whole or cut off by the end of a log tail.
  { pattern: /(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----)[\s\S]*?(?:(-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----)|$)/g, replacement: `$1${REDACTED}$2` },
  // user:password@ in a URL (mongodb://smartsmoker:…@mongo:27017).
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):[^\s@/]+@/gi, replacement: `$1:${REDACTED}@` },
  // A Discord webhook's token.
  { pattern: /(\/api(?:\/v\d+)?\/webhooks\/\d+\/)[\w-]+/g, replacement: `$1${REDACTED}` },
  // HTTP credentials.
  { pattern: /\b(Authorization\s*:\s*(?:Bearer|Basic|Token)\s+)\S+/gi, replacement: `$1${REDACTED}` },
  { pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/-]{8,}=*/g, replacement: `$1${REDACTED}` },
  // Tokens recognisable by their prefix: GitHub, Slack, AWS access key ids, JWTs.
  { pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})/g, replacement: REDACTED },
  { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replacement: REDACTED },
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replacement: REDACTED },
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, replacement: REDACTED },
  // A setting: PASSWORD=…, "password": "…", api_key: '…'. Not `secret X: …`,
  // how our own messages name a secret: a key word then a colon counts only
  // when the key or the value is quoted.
  // A quoted value keeps its quotes.
  { pattern: new RegExp(`\\b(${KEY_WORD}\\s*=\\s*)(?:(")[^"\\n]*"|(')[^'\\n]*'|[^\\s"',;&]+)`, 'gi'), replacement: `$1$2$3${REDACTED}$2$3` },
  { pattern: new RegExp(`(["']${KEY_WORD}["']\\s*:\\s*)(?:(")[^"\\n]*"|(')[^'\\n]*'|[^\\s"',}]+)`, 'gi'), replacement: `$1$2$3${REDACTED}$2$3` },
  { pattern: new RegExp(`\\b(${KEY_WORD}\\s*:\\s*)(?:(")[^"\\n]*"|(')[^'\\n]*')`, 'gi'), replacement: `$1$2$3${REDACTED}$2$3` },
];

/** Every form a secret value may take in text: as it is, URL-encoded, JSON-escaped, and each long line of a multi-line one. */
function formsOf(value: string): string[] {
  // A key file's BEGIN and END lines are no secret (and SHAPES finds a key by them).
  const lines = value.includes('\n') ? value.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length >= MIN_LINE_CHARS && !l.startsWith('-----')) : [];
  return [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1), ...lines];
}

/** The text with every occurrence of these values (in every form: formsOf) replaced. */
export function redactValues(text: string, values: readonly string[]): string {
  // Longest first: a value that contains another is replaced whole.
  const forms = [...new Set(values.filter(Boolean).flatMap(formsOf))].filter(Boolean).sort((a, b) => b.length - a.length);
  return forms.reduce((out, form) => out.split(form).join(REDACTED), text);
}

/** The text with every secret-shaped part replaced (SHAPES): for secrets the worker does not know. */
export function redactShapes(text: string): string {
  return SHAPES.reduce((out, { pattern, replacement }) => out.replace(pattern, replacement), text);
}

export type Redact = (text: string) => string;

/** Known values first, then shapes. */
export function redactor(values: readonly string[]): Redact {
  return (text) => redactShapes(redactValues(text, values));
}

/** Every string in a value (an object's, an array's) redacted; the rest as it is. */
export function redactStrings<T>(value: T, redact: Redact): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactStrings(v, redact)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v, redact)])) as T;
  return value;
}

/**
 * Every secret value the configuration names that the worker can read now:
 * each environment's secrets (as written: an `encode: uri` one raw, formsOf
 * adds its encoding), the Discord webhook, and the SSH private keys. One it
 * cannot read is skipped: redacting is no place to fail a run (the step that
 * needs a secret says it is missing).
 */
export function configSecretValues(config: Config): string[] {
  const refs: SecretRef[] = Object.values(config.environments).flatMap((env) => Object.values(env.secrets ?? {}));
  const webhook = config.notifications?.discord?.webhook;
  if (webhook) refs.push(webhook);
  const values = refs.map((ref) => attempt(() => readSecret('redaction', { ...ref, encode: undefined })));
  // The webhook's token alone, as an error may quote it.
  if (webhook) values.push(attempt(() => /\/webhooks\/\d+\/([\w-]+)/.exec(readSecret('redaction', webhook))?.[1] ?? ''));
  const keys = [...new Set(Object.values(config.environments).map((env) => env.privateKey))].map((file) => attempt(() => readFileSync(file, 'utf8')));
  return [...values, ...keys].filter((v): v is string => !!v);
}

const attempt = (read: () => string): string | undefined => {
  try {
    return read();
  } catch {
    return undefined;
  }
};
