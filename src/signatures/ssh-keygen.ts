// SSH signatures (SSHSIG), made and checked by OpenSSH's own ssh-keygen, the
// reference implementation of the format git also signs commits with:
//   ssh-keygen -Y sign   -f KEY -n smokestack-approval          < statement
//   ssh-keygen -Y verify -f ALLOWED -I signer -n smokestack-approval -s SIG < statement
// Every call is an argv array (no shell), with a time limit; the allowed
// signers file is written by us, from keys checked against PUBLIC_KEY (public-key.ts).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SIGNATURE_NAMESPACE } from '../workflows/signed-statement.ts';
import { publicKeyBody } from './public-key.ts';

const TIMEOUT_MS = 10_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sshKeygen(args: string[], input: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile('ssh-keygen', args, { timeout: TIMEOUT_MS, env, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new Error(`ssh-keygen could not run: ${err.message} (install OpenSSH's client, 8.2 or newer)`));
        return;
      }
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

/**
 * Signs `text` with an SSH key: a private key file, or a public key file
 * whose private half is in ssh-agent ($SSH_AUTH_SOCK).
 */
export async function signText(text: string, keyFile: string): Promise<string> {
  const run = await sshKeygen(['-q', '-Y', 'sign', '-f', keyFile, '-n', SIGNATURE_NAMESPACE], text);
  if (run.code !== 0 || !run.stdout.includes('-----BEGIN SSH SIGNATURE-----')) {
    throw new Error(`ssh-keygen could not sign with ${keyFile}: ${run.stderr.trim() || `exit ${run.code}`}`);
  }
  return run.stdout;
}

export type Verdict = { ok: true; fingerprint: string } | { ok: false; why: string };

/** Whether `signature` is one of `keys`' over exactly `text`, in smokestack's namespace. */
export async function verifyText(text: string, signature: string, keys: readonly string[]): Promise<Verdict> {
  const bodies = keys.map(publicKeyBody).filter((k): k is string => Boolean(k));
  if (bodies.length === 0) return { ok: false, why: 'no public key is configured for this signer' };
  const dir = await mkdtemp(join(tmpdir(), 'smokestack-sig-'));
  try {
    // One principal name of our own: names from outside never reach the file.
    const allowed = join(dir, 'allowed_signers');
    const sig = join(dir, 'statement.sig');
    await writeFile(allowed, bodies.map((b) => `approver namespaces="${SIGNATURE_NAMESPACE}" ${b}\n`).join(''), { mode: 0o600 });
    await writeFile(sig, signature, { mode: 0o600 });
    const run = await sshKeygen(['-Y', 'verify', '-f', allowed, '-I', 'approver', '-n', SIGNATURE_NAMESPACE, '-s', sig], text);
    const fingerprint = /key (SHA256:[A-Za-z0-9+/=]+)/.exec(run.stdout)?.[1];
    if (run.code === 0 && fingerprint) return { ok: true, fingerprint };
    const said = (run.stderr || run.stdout).trim().split('\n').pop() ?? '';
    return { ok: false, why: `the signature is not one of the signer's keys over this statement${said ? ` (${said.slice(0, 200)})` : ''}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A public key's SHA256 fingerprint, as ssh-keygen -l prints it. */
export async function fingerprintOf(key: string): Promise<string | undefined> {
  const body = publicKeyBody(key);
  if (!body) return undefined;
  const run = await sshKeygen(['-l', '-f', '-'], `${body}\n`);
  return /(SHA256:[A-Za-z0-9+/=]+)/.exec(run.stdout)?.[1];
}
