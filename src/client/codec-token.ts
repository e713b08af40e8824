// The codec server's bearer token: from a file (--token-file or
// $SMOKESTACK_CODEC_TOKEN_FILE) or from $SMOKESTACK_CODEC_TOKEN, never from
// smokestack.yml (the config file is plain text in a repository).
//
// The Web UI puts it in the codec endpoint's URL (http://HOST:PORT/<token>),
// so it holds only characters a URL path carries as they are. Messages name
// where it came from and its length, never its text.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InputError } from './input.ts';

export const TOKEN_FILE_ENV = 'SMOKESTACK_CODEC_TOKEN_FILE';
export const TOKEN_ENV = 'SMOKESTACK_CODEC_TOKEN';
export const MIN_TOKEN_CHARS = 32;

// RFC 3986's unreserved characters: a path segment as it is, no escaping to get wrong.
const TOKEN_TEXT = /^[A-Za-z0-9._~-]+$/;
const MAKE_ONE = 'make one with: openssl rand -hex 32';

/** The token the environment (or --token-file) names; a clear refusal when there is none or it is weak. */
export function codecToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const file = tokenFile ?? env[TOKEN_FILE_ENV];
  const inline = env[TOKEN_ENV];
  const fileSource = tokenFile ? '--token-file' : `$${TOKEN_FILE_ENV}`;
  if (file && inline) throw new InputError(`both ${fileSource} and $${TOKEN_ENV} are set: set one, so it is clear which codec token is in use`);
  if (!file && !inline) {
    throw new InputError(`the codec server needs a token: --token-file FILE, $${TOKEN_FILE_ENV} or $${TOKEN_ENV} (${MAKE_ONE})`);
  }
  let token: string;
  let source: string;
  if (file) {
    source = `the token file ${file}`;
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new InputError(`cannot read ${source} (${fileSource}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    source = `$${TOKEN_ENV}`;
    token = inline!.trim();
  }
  if (token.length < MIN_TOKEN_CHARS) throw new InputError(`the codec token from ${source} has ${token.length} characters, at least ${MIN_TOKEN_CHARS} are needed (${MAKE_ONE})`);
  if (!TOKEN_TEXT.test(token)) {
    throw new InputError(`the codec token from ${source} may hold only A-Z a-z 0-9 . _ ~ - (it is part of the Web UI's codec URL; ${MAKE_ONE})`);
  }
  return token;
}

/** A check of candidates against one token that takes as long whatever they hold: hashes of equal length, compared with timingSafeEqual. */
export function tokenChecker(token: string): (candidate: string | undefined) => boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  const expected = digest(token);
  return (candidate) => candidate !== undefined && timingSafeEqual(digest(candidate), expected);
}
