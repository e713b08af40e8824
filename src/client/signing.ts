// The approver's side of a signature: the statement built from what the
// worker will check it against, shown, then signed with the approver's own
// SSH key or agent. The private key never leaves this machine; only the
// statement and its signature travel.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';
import { isProtected } from '../config/protection.ts';
import { signText } from '../signatures/ssh-keygen.ts';
import { SIGNATURE_NAMESPACE, statementText, type ChangeStatement, type SignedText, type Statement } from '../workflows/signed-statement.ts';
import { InputError } from './input.ts';

/** The options every signing command takes. */
export interface SigningOptions {
  sign?: boolean;
  as?: string;
  key?: string;
  reason?: string;
}

/** --key, else $SMOKESTACK_SIGNING_KEY, else ~/.ssh/id_ed25519 (a .pub file works with ssh-agent). */
export function signingKey(explicit?: string): string {
  const chosen = explicit ?? process.env.SMOKESTACK_SIGNING_KEY;
  if (chosen) {
    const path = resolve(chosen.replace(/^~(?=\/|$)/, homedir()));
    if (!existsSync(path)) throw new InputError(`--key ${chosen}: no such file (a private key, or a .pub file whose key is in ssh-agent)`);
    return path;
  }
  const fallback = join(homedir(), '.ssh', 'id_ed25519');
  if (!existsSync(fallback)) throw new InputError('no signing key: pass --key FILE or set $SMOKESTACK_SIGNING_KEY (your SSH key listed in promotion.approvers)');
  return fallback;
}

/** A reason given, not blank. */
export function requireReason(reason: string | undefined, what: string): string {
  if (typeof reason !== 'string' || !reason.trim()) throw new InputError(`${what} needs a reason: --reason "…" (it is signed and kept with the run)`);
  return reason.trim();
}

/** Who signs: --as, else $GITHUB_ACTOR, else $USER. */
export function signerName(as: string | undefined): string {
  const name = as ?? process.env.GITHUB_ACTOR ?? process.env.USER;
  if (!name?.trim()) throw new InputError('who signs is unknown: pass --as NAME (as listed in promotion.approvers)');
  return name.trim();
}

export async function signStatement(statement: Statement, keyFile: string): Promise<SignedText> {
  const text = statementText(statement);
  try {
    return { statement: text, signature: await signText(text, keyFile) };
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

/**
 * A change to `environment`: signed when --sign asks for it; refused here,
 * before Temporal is asked, when the environment is protected and unsigned.
 */
export async function changeAuthorization(
  config: Config,
  namespace: string,
  target: Omit<ChangeStatement, 'purpose' | 'v' | 'kind' | 'namespace' | 'signer' | 'reason' | 'at'>,
  options: SigningOptions,
  write: (line: string) => void,
): Promise<SignedText | undefined> {
  if (!options.sign) {
    if (isProtected(config, target.environment)) {
      throw new InputError(
        `${target.environment} is protected: it changes through \`smokestack promote\`, or with an approver's signed request: add --sign --as NAME --reason "…" [--key FILE] (docs/promotion.md)`,
      );
    }
    return undefined;
  }
  const statement: ChangeStatement = {
    purpose: SIGNATURE_NAMESPACE,
    v: 1,
    kind: 'change',
    namespace,
    ...target,
    signer: signerName(options.as),
    reason: requireReason(options.reason, `a signed ${target.action}`),
    at: new Date().toISOString(),
  };
  const keyFile = signingKey(options.key);
  write(`signing as ${statement.signer} with ${keyFile}: ${target.action} ${target.environment}${target.version ? ` ${target.version}` : ''}${target.backupId ? ` from backup ${target.backupId}` : ''}${target.from ? ` from ${target.from}` : ''}`);
  return signStatement(statement, keyFile);
}
