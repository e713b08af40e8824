// The one place a command becomes a shell string and crosses the network.
import { createHash } from 'node:crypto';
import { createWriteStream, readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { NodeSSH } from 'node-ssh';
import { cmd, describe, remoteLine, type Command } from '../commands/command.ts';
import { makeDirWithMode, MODES, setMode, type Access } from '../commands/files.ts';
import type { HostTarget } from '../workflows/types.ts';
import { fingerprintOfBlob } from './known-hosts.ts';

interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  /** Kill the wait (and the connection) after this long. */
  timeoutSeconds?: number;
}

/** A connected host: runs argv commands, uploads files. */
export interface RemoteHost {
  run(command: Command, options?: RunOptions): Promise<CommandResult>;
  /** Like run, but a non-zero exit is an error that carries the command and its stderr. */
  check(command: Command, options?: RunOptions): Promise<string>;
  /** Over SFTP, landing 0600 (put it in a private directory: the server's umask is not ours). */
  uploadFile(local: string, remote: string): Promise<void>;
  /** Over SFTP, with the modes `access` gives its files and folders (commands/files.ts: MODES), each folder made before what it holds. */
  uploadDir(local: string, remote: string, access: Access): Promise<void>;
  /** Copies a host's file here as one stream (`cat` on a channel of its own), hashing the bytes as they are written: the copy's sha256 without a pass of its own. */
  downloadFileHashed(remote: string, local: string): Promise<{ sha256: string; bytes: number }>;
  /** A TCP channel, over this connection, to host:port as seen from the host (e.g. a database on its loopback). */
  forward(host: string, port: number): Promise<Duplex>;
}

export class RemoteCommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    super(`\`${command}\` exited ${result.code}: ${(result.stderr || result.stdout).trim().slice(-2000)}`);
    this.name = 'RemoteCommandError';
  }
}

export class HostUnreachableError extends Error {
  constructor(target: HostTarget, cause: unknown) {
    super(`cannot reach ${target.user}@${target.host}:${target.port} over SSH: ${(cause as Error)?.message ?? cause}`);
    this.name = 'HostUnreachableError';
  }
}

/** The keys a target pins: none is no pin, and nothing connects without one. */
export const pinnedKeys = (target: Pick<HostTarget, 'hostKey'>): string[] => [target.hostKey ?? []].flat();

export class HostKeyMismatchError extends Error {
  constructor(target: HostTarget, presented: string | undefined) {
    const pinned = pinnedKeys(target);
    super(
      pinned.length === 0
        ? `${target.host} has no pinned SSH host key: refusing to connect (smokestack hosts trust ENV pins it)`
        : `${target.host} presented SSH host key ${presented}, not the pinned ${pinned.join(' or ')}: refusing to connect`,
    );
    this.name = 'HostKeyMismatchError';
  }
}

/** The OpenSSH fingerprint of a raw public key blob, as `ssh-keygen -lf` prints it. */
export const fingerprint = fingerprintOfBlob;

type CommandLog = (line: string) => void;

async function openConnection(target: HostTarget): Promise<{ ssh: NodeSSH; lost: Promise<never> }> {
  // Any key is accepted by ssh2 without a verifier: a machine in the middle would get root commands and secrets.
  const pinned = pinnedKeys(target);
  if (pinned.length === 0) throw new HostKeyMismatchError(target, undefined);
  const ssh = new NodeSSH();
  let presented: string | undefined;
  try {
    await ssh.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKeyPath: target.privateKey,
      readyTimeout: target.connectTimeoutSeconds * 1000,
      keepaliveInterval: 5000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        presented = fingerprint(key);
        return pinned.includes(presented);
      },
    });
  } catch (err) {
    ssh.dispose();
    if (presented && !pinned.includes(presented)) throw new HostKeyMismatchError(target, presented);
    throw new HostUnreachableError(target, err);
  }
  // A link that dies mid-command must fail the command, not leave it waiting
  // forever while the activity keeps heartbeating: keepalives notice, this reports.
  const lost = new Promise<never>((_, reject) => {
    const fail = () => reject(new HostUnreachableError(target, new Error('connection lost')));
    ssh.connection?.once('close', fail);
    ssh.connection?.once('error', fail);
  });
  lost.catch(() => undefined);
  return { ssh, lost };
}

class SshHost implements RemoteHost {
  constructor(
    private readonly ssh: NodeSSH,
    private readonly target: HostTarget,
    private readonly log: CommandLog,
    private readonly lost: Promise<never>,
    /** This connection must not be shared again (a command on it hung). */
    private readonly spoil: () => void,
  ) {}

  async run(command: Command, options: RunOptions = {}): Promise<CommandResult> {
    const shown = describe(command);
    this.log(`${this.target.host}$ ${shown}`);
    const exec = Promise.race([this.ssh.execCommand(remoteLine(command), { stdin: command.stdin }), this.lost]);
    const result = await withTimeout(exec, options.timeoutSeconds, () => {
      this.spoil();
      this.ssh.dispose();
      return new Error(`\`${shown}\` on ${this.target.host} did not finish within ${options.timeoutSeconds}s`);
    });
    // A dropped connection resolves with code null: that is a failure, not a success.
    if (result.code === null) {
      throw new HostUnreachableError(this.target, new Error(`connection lost during \`${shown}\``));
    }
    return { code: result.code, stdout: result.stdout, stderr: result.stderr };
  }

  async check(command: Command, options?: RunOptions): Promise<string> {
    const result = await this.run(command, options);
    if (result.code !== 0) throw new RemoteCommandError(describe(command), result);
    return result.stdout;
  }

  async uploadFile(local: string, remote: string): Promise<void> {
    this.log(`${this.target.host}: upload ${local} -> ${remote} (${MODES.private.file})`);
    await this.putWithMode(local, remote, MODES.private.file);
  }

  async uploadDir(local: string, remote: string, access: Access): Promise<void> {
    const modes = MODES[access];
    this.log(`${this.target.host}: upload ${local}/ -> ${remote}/ (files ${modes.file}, folders ${modes.dir})`);
    const sftp = await this.ssh.requestSFTP();
    try {
      for (const entry of folderEntries(local)) {
        const to = posix.join(remote, entry.path);
        if (entry.folder) await this.check(makeDirWithMode(to, modes.dir));
        else await this.putWithMode(join(local, entry.path), to, modes.file, sftp);
      }
    } finally {
      sftp.end();
    }
  }

  /**
   * The SFTP server creates a file under its own umask (sshd's, not the
   * session's), so ssh2 sets the mode on the open file before writing a
   * byte. It skips that for an empty file: a chmod does it then.
   */
  private async putWithMode(local: string, remote: string, mode: string, sftp: Parameters<NodeSSH['putFile']>[2] = null): Promise<void> {
    await this.ssh.putFile(local, remote, sftp, { mode: Number.parseInt(mode, 8) });
    if (statSync(local).size === 0) await this.check(setMode(remote, mode));
  }

  async downloadFileHashed(remote: string, local: string): Promise<{ sha256: string; bytes: number }> {
    const read = cmd('cat', '--', remote);
    this.log(`${this.target.host}: download ${remote} -> ${local} by \`${describe(read)}\`, sha256 on the way`);
    const streaming = streamToFile(this.ssh, read, local);
    streaming.catch(() => undefined); // when the connection is lost first, its own failure comes after and is nobody's to handle
    return Promise.race([streaming, this.lost]);
  }

  async forward(host: string, port: number): Promise<Duplex> {
    this.log(`${this.target.host}: forward a channel -> ${host}:${port}`);
    return Promise.race([this.ssh.forwardOut('127.0.0.1', 0, host, port), this.lost]);
  }

}

/** An exec channel of ssh2 (whose types are not installed): its stdout as a stream, and how it ended. */
type ExecChannel = Readable & { stderr: Readable };

/** As deep as the channel's window (ssh2's 2 MiB), twice over. */
const WRITE_QUEUE_BYTES = 4 * 2 ** 20;

/**
 * Runs a command on its own channel and writes its standard output to a
 * local file (mode 0600), hashing it on the way. A plain stream, not SFTP:
 * the host pushes as fast as the channel's window lets it, with no read
 * request per chunk: on the lab's shared CPUs it copied a backup's archive
 * in about 60% of the time SFTP with 64 reads in flight took.
 */
async function streamToFile(ssh: NodeSSH, command: Command, local: string): Promise<{ sha256: string; bytes: number }> {
  const channel = await new Promise<ExecChannel>((resolve, reject) =>
    ssh.connection!.exec(remoteLine(command), (err: Error | undefined, opened: ExecChannel) => (err ? reject(err) : resolve(opened))),
  );
  const ended = new Promise<{ code: number | null; signal?: string }>((resolve) =>
    channel.once('close', (code?: number | null, signal?: string) => resolve({ code: code ?? null, signal })),
  );
  let stderr = '';
  channel.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const hash = createHash('sha256');
  let bytes = 0;
  // Hashed as it is piped: every chunk the file gets, in order, and nothing more.
  channel.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    bytes += chunk.length;
  });
  // A deep write queue: chunks that arrive while a write runs go out together in the next (writev).
  await pipeline(channel, createWriteStream(local, { mode: 0o600, highWaterMark: WRITE_QUEUE_BYTES }));
  const { code, signal } = await ended;
  if (code !== 0) throw new RemoteCommandError(describe(command), { code: code ?? -1, stdout: '', stderr: stderr || `ended by ${signal ?? 'the connection closing'}` });
  return { sha256: hash.digest('hex'), bytes };
}

/** A local folder's folders (each before what it holds, itself first as "") and files, as paths relative to it. */
function folderEntries(root: string, under = ''): { path: string; folder: boolean }[] {
  const entries = [{ path: under, folder: true }];
  for (const name of readdirSync(join(root, under)).sort()) {
    const path = under ? `${under}/${name}` : name;
    if (statSync(join(root, path)).isDirectory()) entries.push(...folderEntries(root, path));
    else entries.push({ path, folder: false });
  }
  return entries;
}

function withTimeout<T>(work: Promise<T>, seconds: number | undefined, onTimeout: () => Error): Promise<T> {
  if (!seconds) return work;
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), seconds * 1000);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// Connections are kept for a short while and shared: a deploy's activities
// run one after another on the same host, and an SSH handshake per activity
// was most of the time its quick steps took. A connection that was lost, or
// whose command timed out, is never handed out again.
const IDLE_SECONDS = 15;

interface Pooled {
  key: string;
  ssh: NodeSSH;
  lost: Promise<never>;
  users: number;
  idle?: NodeJS.Timeout;
  dead: boolean;
}

const pool = new Map<string, Promise<Pooled>>();

async function acquire(target: HostTarget): Promise<Pooled> {
  const key = JSON.stringify(target);
  const existing = await pool.get(key)?.catch(() => undefined);
  if (existing && !existing.dead && existing.ssh.isConnected()) {
    clearTimeout(existing.idle);
    existing.users++;
    return existing;
  }
  const opening = openConnection(target).then((c) => {
    const pooled: Pooled = { ...c, key, users: 1, dead: false };
    const forget = () => {
      pooled.dead = true;
      if (pool.get(key) === opening) pool.delete(key);
    };
    c.lost.catch(forget);
    return pooled;
  });
  pool.set(key, opening);
  opening.catch(() => pool.get(key) === opening && pool.delete(key));
  return opening;
}

function release(pooled: Pooled): void {
  pooled.users--;
  if (pooled.users > 0) return;
  if (pooled.dead) return pooled.ssh.dispose();
  pooled.idle = setTimeout(() => {
    pooled.dead = true;
    void pool.get(pooled.key)?.then((p) => p === pooled && pool.delete(pooled.key), () => undefined);
    pooled.ssh.dispose();
  }, IDLE_SECONDS * 1000);
  pooled.idle.unref();
}

/** Runs fn on a connection to the host (a fresh one, or a recent one still alive). */
export async function withHost<T>(target: HostTarget, log: CommandLog, fn: (host: RemoteHost) => Promise<T>): Promise<T> {
  const pooled = await acquire(target);
  const host = new SshHost(pooled.ssh, target, log, pooled.lost, () => (pooled.dead = true));
  try {
    return await fn(host);
  } catch (err) {
    if (err instanceof HostUnreachableError) pooled.dead = true;
    throw err;
  } finally {
    release(pooled);
  }
}

/**
 * Closes every pooled connection nobody is using now. The worker never needs
 * this; a command that reached hosts itself (`smokestack doctor`) calls it
 * when done, or its process would wait out IDLE_SECONDS before exiting.
 */
export async function closeIdleConnections(): Promise<void> {
  const pooled = await Promise.all([...pool.values()].map((p) => p.catch(() => undefined)));
  for (const p of pooled) {
    if (!p || p.users > 0) continue;
    clearTimeout(p.idle);
    p.dead = true;
    pool.delete(p.key);
    p.ssh.dispose();
  }
}
