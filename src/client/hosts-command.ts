// `smokestack hosts trust ENV`: the host's SSH key, fetched, shown by its
// SHA256 fingerprint, and pinned only once a person says yes (or --yes in a
// script that checked it another way). Pinned in knownHostsFile when the
// configuration names one, else as the environment's hostKey in the
// configuration file itself (its comments kept).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { NodeSSH } from 'node-ssh';
import { parseDocument } from 'yaml';
import type { Config, EnvironmentConfig } from '../config/schema.ts';
import { fingerprintOfBlob, knownHostsLine } from '../ssh/known-hosts.ts';
import { EXIT } from './exit-codes.ts';
import { InputError } from './input.ts';

type Write = (line: string) => void;

/** The key blob the host presents, without logging in: the handshake stops at the key. */
export async function presentedHostKey(env: Pick<EnvironmentConfig, 'host' | 'port' | 'connectTimeoutSeconds'>): Promise<Buffer> {
  const ssh = new NodeSSH();
  let key: Buffer | undefined;
  const refused = await ssh
    .connect({
      host: env.host,
      port: env.port,
      username: 'smokestack-hosts-trust',
      readyTimeout: env.connectTimeoutSeconds * 1000,
      hostVerifier: (blob: Buffer) => {
        key = Buffer.from(blob);
        return false;
      },
    })
    .then(
      () => undefined,
      (err: Error) => err,
    );
  ssh.dispose();
  if (!key) throw new InputError(`${env.host}:${env.port} presented no SSH host key: ${refused?.message ?? 'the connection closed'}`);
  return key;
}

export async function trustHost(config: Config, configFile: string, name: string, options: { yes: boolean }, write: Write, ask = askYesNo): Promise<number> {
  const env = config.environments[name];
  if (!env) throw new InputError(`unknown environment "${name}"; known: ${Object.keys(config.environments).join(', ')}`);
  const blob = await presentedHostKey(env);
  const fingerprint = fingerprintOfBlob(blob);
  const line = knownHostsLine(env.host, env.port, blob);
  const pinned = [env.hostKey ?? []].flat();
  write(`${name} (${env.host}:${env.port}) presents ${line.split(' ')[1]} key ${fingerprint}`);
  if (pinned.includes(fingerprint)) {
    write('  already pinned: nothing to do');
    return EXIT.succeeded;
  }
  if (pinned.length > 0) write(`  NOT the pinned ${pinned.join(' or ')}: a rebuilt host, or a machine in the middle. Check it on the host before you trust it.`);
  write('  compare it with what the host itself says: for k in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$k"; done');
  if (!options.yes) {
    if (!process.stdin.isTTY) throw new InputError('nothing pinned: there is no terminal to ask; check the fingerprint, then run it again with --yes');
    if (!(await ask(`pin this key for ${name}? [y/N] `))) {
      write('nothing pinned');
      return EXIT.invalid;
    }
  }
  if (config.knownHostsFile) {
    mkdirSync(dirname(config.knownHostsFile), { recursive: true, mode: 0o700 });
    const before = existsSync(config.knownHostsFile) ? readFileSync(config.knownHostsFile, 'utf8') : '';
    appendFileSync(config.knownHostsFile, `${before && !before.endsWith('\n') ? '\n' : ''}${line}\n`, { mode: 0o600 });
    write(`pinned in ${config.knownHostsFile}`);
  } else {
    const doc = parseDocument(readFileSync(configFile, 'utf8'));
    doc.setIn(['environments', name, 'hostKey'], fingerprint);
    writeFileSync(configFile, doc.toString());
    write(`pinned as environments.${name}.hostKey in ${configFile}`);
  }
  return EXIT.succeeded;
}

async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
