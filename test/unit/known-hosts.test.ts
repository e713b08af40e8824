// Pinned host keys: known_hosts read as OpenSSH writes it, every environment
// refused at `config` without a pin, and the executor refusing to connect to
// a host it has no pin for (ssh2 would accept any key).
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.ts';
import { HostKeyMismatchError, withHost } from '../../src/ssh/executor.ts';
import { knownHostsLine, knownKeysFor } from '../../src/ssh/known-hosts.ts';
import { minimalEnvironment } from '../support/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'smokestack-known-hosts-'));
const keyOf = (name: string, type = 'ed25519') => {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', join(dir, name)]);
  const [kind, body] = readFileSync(join(dir, `${name}.pub`), 'utf8').split(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, `${name}.pub`)]).toString().split(' ')[1]!;
  return { kind: kind!, body: body!, fingerprint };
};
const a = keyOf('a');
const b = keyOf('b', 'ecdsa');
const c = keyOf('c');
const hashed = (name: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
};

describe('known_hosts', () => {
  it('finds a host by plain name, in a list, on another port, and hashed', () => {
    const text = [
      '# pinned by hand',
      `prod,10.0.0.5 ${a.kind} ${a.body}`,
      `[prod]:2222 ${b.kind} ${b.body}`,
      `${hashed('smoker')} ${c.kind} ${c.body} comment`,
      `*.example ${c.kind} ${c.body}`,
    ].join('\n');
    expect(knownKeysFor(text, 'prod', 22).keys).toEqual([{ type: a.kind, fingerprint: a.fingerprint }]);
    expect(knownKeysFor(text, '10.0.0.5', 22).keys.map((k) => k.fingerprint)).toEqual([a.fingerprint]);
    expect(knownKeysFor(text, 'prod', 2222).keys.map((k) => k.fingerprint)).toEqual([b.fingerprint]);
    expect(knownKeysFor(text, 'smoker', 22).keys.map((k) => k.fingerprint)).toEqual([c.fingerprint]);
    // A pattern is no pin, and neither is another name.
    expect(knownKeysFor(text, 'x.example', 22).keys).toEqual([]);
    expect(knownKeysFor(text, 'pro', 22).keys).toEqual([]);
  });

  it('refuses a revoked key and skips certificate authorities', () => {
    const text = [`prod ${a.kind} ${a.body}`, `@revoked prod ${a.kind} ${a.body}`, `@cert-authority prod ${b.kind} ${b.body}`].join('\n');
    expect(knownKeysFor(text, 'prod', 22)).toEqual({ keys: [], revoked: [a.fingerprint] });
  });

  it('writes the line OpenSSH would, from the key a host presents', () => {
    const blob = Buffer.from(a.body, 'base64');
    expect(knownHostsLine('prod', 22, blob)).toBe(`prod ${a.kind} ${a.body}`);
    expect(knownKeysFor(knownHostsLine('prod', 2222, blob), 'prod', 2222).keys[0]!.fingerprint).toBe(a.fingerprint);
  });
});

describe('every environment has a pinned host key', () => {
  const file = join(dir, 'smokestack.yml');
  writeFileSync(join(dir, 'stack.yml'), 'services: {}\n');
  const { hostKey: _, ...unpinned } = minimalEnvironment();
  const problems = (raw: object, requireHostKeys?: boolean): string[] => {
    try {
      parseConfig(raw, file, { requireHostKeys });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  it('refuses an environment with neither hostKey nor a known_hosts entry, naming the fix', () => {
    expect(problems({ environments: { 'dev-cloud': unpinned } })).toEqual([
      'environments.dev-cloud: no pinned SSH host key for dev.example: a machine in the middle would get root commands and secrets. Pin it: `smokestack hosts trust dev-cloud`, or set hostKey: SHA256:… (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host)',
    ]);
    // `hosts trust`, which pins it, reads the same file.
    expect(problems({ environments: { 'dev-cloud': unpinned } }, false)).toEqual([]);
  });

  it('takes every key known_hosts lists for the host, and refuses a pinned key it revokes', () => {
    const known = join(dir, 'known_hosts');
    writeFileSync(known, `dev.example ${a.kind} ${a.body}\ndev.example ${b.kind} ${b.body}\n@revoked dev.example ${c.kind} ${c.body}\n`);
    const config = parseConfig({ knownHostsFile: known, environments: { 'dev-cloud': unpinned } }, file);
    expect(config.environments['dev-cloud']!.hostKey).toEqual([a.fingerprint, b.fingerprint]);
    expect(problems({ knownHostsFile: known, environments: { 'dev-cloud': { ...unpinned, hostKey: c.fingerprint } } })).toEqual([
      `environments.dev-cloud.hostKey: ${c.fingerprint} is revoked in ${known}`,
    ]);
    expect(problems({ knownHostsFile: known, environments: { 'dev-cloud': { ...unpinned, host: 'other.example' } } })[0]).toMatch(/no pinned SSH host key for other\.example/);
  });
});

describe('the executor', () => {
  it('refuses to connect to a host it has no pin for, before any network', async () => {
    const target = { host: '192.0.2.1', port: 22, user: 'root', privateKey: '/nonexistent', connectTimeoutSeconds: 1 };
    await expect(withHost(target, () => undefined, async () => 'connected')).rejects.toThrow(HostKeyMismatchError);
    await expect(withHost(target, () => undefined, async () => 'connected')).rejects.toThrow('192.0.2.1 has no pinned SSH host key: refusing to connect');
  });
});
