// The official MongoDB driver, connected to a host's database through an SSH
// tunnel: the cloud compose publishes mongo on the host's loopback only
// (127.0.0.1:27017), so the worker reaches it over the SSH connection it
// already has, with no port opened to the network. A local server on
// 127.0.0.1:<any> hands each of the driver's sockets to a channel of its own.
//
// Credentials go to the driver as options (never in a URL, a log line or an
// error): messages name the host and the user, never the password.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import { MongoClient, MongoServerError } from 'mongodb';
import type { RemoteHost } from '../../ssh/executor.ts';
import type { HostTarget } from '../../workflows/types.ts';
import { failure } from '../../workflows/failures.ts';
import { redactValues } from '../redact.ts';
import { onHost } from '../remote.ts';

export interface DatabaseCredentials {
  user: string;
  password: string;
  /** Where the user is defined (default admin). */
  authSource?: string;
}

export interface DatabaseOptions {
  /** The database's port on the host's loopback (default 27017, where the cloud compose publishes it). */
  port?: number;
  /** How long the driver looks for the server before giving up (default 10 s). */
  serverSelectionTimeoutMS?: number;
}

/** MongoDB's code for a refused login. */
const AUTHENTICATION_FAILED = 18;

/**
 * Runs fn with a driver connected, as `credentials`, to the database on the
 * host's loopback. The client, the channels and the local server are always
 * closed, whether fn succeeds or fails.
 */
export function withDatabase<T>(
  target: HostTarget,
  /** null: no login at all (to see what the server lets anyone do). */
  credentials: DatabaseCredentials | null,
  fn: (client: MongoClient) => Promise<T>,
  options: DatabaseOptions = {},
): Promise<T> {
  const port = options.port ?? 27017;
  return onHost(target, async (host) => {
    const tunnel = await openTunnel(host, port);
    const client = new MongoClient(`mongodb://127.0.0.1:${tunnel.port}/`, {
      ...(credentials && { auth: { username: credentials.user, password: credentials.password }, authSource: credentials.authSource ?? 'admin' }),
      directConnection: true,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
      connectTimeoutMS: 10_000,
      appName: 'smokestack',
    });
    try {
      try {
        await client.connect();
      } catch (err) {
        throw connectFailure(target, port, credentials, tunnel.lastError ?? err);
      }
      return await fn(client);
    } finally {
      await client.close(true).catch(() => undefined);
      await tunnel.close();
    }
  });
}

interface Tunnel {
  port: number;
  /** Why the last channel could not be opened (e.g. nothing listens on the port): clearer than the driver's "connection closed". */
  lastError?: Error;
  close(): Promise<void>;
}

async function openTunnel(host: RemoteHost, remotePort: number): Promise<Tunnel> {
  const sockets = new Set<Socket>();
  const tunnel: Partial<Tunnel> = {};
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    host.forward('127.0.0.1', remotePort).then(
      (channel) => pipeline(socket, channel, socket, () => undefined),
      (err: Error) => {
        tunnel.lastError = err;
        socket.destroy();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return Object.assign(tunnel, {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}

/**
 * A refused login is final (the password secret and the database disagree:
 * a person must look); anything else (the database still starting, a
 * dropped link) may pass, so it is retried. The driver's message never
 * holds the password, but it is taken out anyway, should one ever echo it.
 */
function connectFailure(target: HostTarget, port: number, credentials: DatabaseCredentials | null, err: unknown): Error {
  const where = `the database on ${target.host} (127.0.0.1:${port} there)`;
  const who = credentials ? `user ${credentials.user}` : 'a client without credentials';
  if (err instanceof MongoServerError && err.code === AUTHENTICATION_FAILED) {
    return failure('InvalidSetting', `${where} refused ${who}: wrong password, or no such user`);
  }
  const said = redact((err as Error)?.message ?? String(err), credentials?.password ?? '');
  return new Error(`cannot connect to ${where} as ${who}: ${said}`);
}

/** The text with every occurrence of the secret (and its URL-encoded form) replaced. */
export function redact(text: string, secret: string): string {
  return redactValues(text, [secret]);
}
