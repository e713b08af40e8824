// Who may answer a promotion, and with which keys: promotion.approvers, each
// a name with an inline key or a name whose keys are in the allowed-signers
// file. Read by the worker when it checks a signature, and by `audit` and
// `doctor`; never sent into a workflow.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.ts';
import { personKey, SIGNATURE_NAMESPACE } from '../workflows/signed-statement.ts';
import { publicKeyBody } from './public-key.ts';

export interface Approver {
  /** As the configuration spells it. */
  name: string;
  /** `type base64` bodies, without comments. */
  keys: string[];
}

const KEY_IN_LINE = /(?:^|\s)((?:ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2})(?=\s|$)/;

/**
 * Allowed-signers lines (`ssh-keygen(1)` ALLOWED SIGNERS): principals, then
 * options, then the key. A line restricted to other namespaces is skipped,
 * and so is a principal pattern (`*`, `?`, `!`): approvers are named exactly.
 */
export function parseAllowedSigners(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = KEY_IN_LINE.exec(line);
    const key = match && publicKeyBody(match[1]!);
    if (!match || !key) continue;
    const [principals = '', ...rest] = line.slice(0, match.index + 1).trim().split(/\s+/);
    const options = rest.join(' ');
    const namespaces = /namespaces="([^"]*)"/i.exec(options)?.[1];
    if (namespaces && !namespaces.split(',').map((n) => n.trim()).includes(SIGNATURE_NAMESPACE)) continue;
    for (const principal of principals.split(',')) {
      if (!principal || /[*?!]/.test(principal)) continue;
      const id = personKey(principal.replace(/^"|"$/g, ''));
      keys.set(id, [...(keys.get(id) ?? []), key]);
    }
  }
  return keys;
}

/** Every approver with every key the configuration gives them (none: their answers are refused). */
export function approversOf(promotion: NonNullable<Config['promotion']>): Approver[] {
  const fromFile = promotion.allowedSignersFile ? parseAllowedSigners(readFileSync(promotion.allowedSignersFile, 'utf8')) : new Map<string, string[]>();
  return promotion.approvers.map((entry) => {
    const name = typeof entry === 'string' ? entry : entry.name;
    const inline = typeof entry === 'string' ? [] : [publicKeyBody(entry.key)!];
    return { name, keys: [...new Set([...inline, ...(fromFile.get(personKey(name)) ?? [])])] };
  });
}

/** The names, as the configuration spells them. */
export const approverNames = (promotion: NonNullable<Config['promotion']>): string[] =>
  promotion.approvers.map((entry) => (typeof entry === 'string' ? entry : entry.name));

/** The approver a signer's name means, compared as people mean names. */
export const approverNamed = (approvers: Approver[], signer: string): Approver | undefined =>
  approvers.find((a) => personKey(a.name) === personKey(signer));
