// Pinned SSH host keys from an OpenSSH known_hosts file (sshd(8), SSH_KNOWN_HOSTS
// FILE FORMAT): plain names and patterns-free lists (`host,10.0.0.5`),
// `[host]:port` for another port, and hashed names (`|1|salt|hash`, as
// `ssh-keygen -H` writes them). A `@revoked` line refuses its key; a
// `@cert-authority` line is no pin of a host key and is skipped.
import { createHash, createHmac } from 'node:crypto';

export interface KnownKey {
  /** `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`… */
  type: string;
  /** As `ssh-keygen -lf` prints it: SHA256:base64, unpadded. */
  fingerprint: string;
}

const KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)$/;

/** The OpenSSH fingerprint of a raw public key blob. */
export const fingerprintOfBlob = (blob: Buffer): string => `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

/** How known_hosts names a host: `host` on port 22, `[host]:port` on any other. */
export const knownHostsName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

function nameMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  // Patterns (*, ?) and negations (!) are not pins: only names written out count.
  return field.split(',').some((n) => n === name);
}

/** The keys known_hosts pins for host:port, and those it revokes. */
export function knownKeysFor(text: string, host: string, port: number): { keys: KnownKey[]; revoked: string[] } {
  const name = knownHostsName(host, port);
  const keys: KnownKey[] = [];
  const revoked: string[] = [];
  for (const raw of text.split('\n')) {
    const fields = raw.trim().split(/\s+/);
    if (!fields[0] || fields[0].startsWith('#')) continue;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    const [names, type, body] = fields;
    if (!names || !type || !body || !KEY_TYPE.test(type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(body)) continue;
    if (marker === '@cert-authority' || !nameMatches(names, name)) continue;
    const fingerprint = fingerprintOfBlob(Buffer.from(body, 'base64'));
    if (marker === '@revoked') revoked.push(fingerprint);
    else if (!marker) keys.push({ type, fingerprint });
  }
  return { keys: keys.filter((k) => !revoked.includes(k.fingerprint)), revoked };
}

/** A known_hosts line for a key blob a host presented. */
export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  const type = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('ascii');
  return `${knownHostsName(host, port)} ${type} ${blob.toString('base64')}`;
}
