// `smokestack db users ENV`, on the worker: the database's users (root, the
// app, the backups) created, or updated when they exist, with passwords read
// here from the environment's secrets. Passwords go to the database inside
// command documents, through the driver and the SSH tunnel: never argv,
// never the workflow's input or result, never a log line or an error.
import { Context } from '@temporalio/activity';
import type { EnvironmentConfig } from '../../config/schema.ts';
import {
  describeUserCommand,
  existingUsers,
  rolesOf,
  serverOf,
  USERS_DATABASE,
  userCommands,
  usersInfoCommand,
  withoutRoles,
  type DatabaseUser,
  type DatabaseUserKind,
  type UserCommand,
} from '../../commands/mongo-users.ts';
import type { DatabaseUserOutcome, DatabaseUsersResult } from '../../workflows/types.ts';
import { failure } from '../../workflows/failures.ts';
import { hostTargetOf, workerConfig } from '../plan.ts';
import { readSecret } from '../secrets.ts';
import { withDatabase } from './connect.ts';

/** A user as configured: its name and the secret holding its password (not the password). */
interface PlannedUser {
  kind: DatabaseUserKind;
  user: string;
  secret: string;
  database?: string;
}

/** The three users of an environment's database, names resolved (root: `users.root.user`, else the MONGO_ROOT_USER setting, else admin). */
export function plannedUsers(env: EnvironmentConfig): PlannedUser[] {
  const users = env.database!.users;
  return [
    { kind: 'root', user: users.root.user ?? env.env.MONGO_ROOT_USER ?? 'admin', secret: users.root.secret },
    { kind: 'app', user: users.app.user, secret: users.app.secret, database: users.app.database },
    { kind: 'backup', user: users.backup.user, secret: users.backup.secret },
  ];
}

export const notManaged = (u: Pick<PlannedUser, 'kind' | 'secret'>) => `no secret ${u.secret}: ${u.kind} user not managed`;

export async function ensureDatabaseUsers(configFile: string, environment: string): Promise<DatabaseUsersResult> {
  const config = workerConfig(configFile);
  const env = config.environments[environment];
  if (!env) throw failure('InvalidInput', `unknown environment "${environment}"; known: ${Object.keys(config.environments).join(', ')}`);
  if (!env.database) throw failure('InvalidInput', `environment ${environment} has no database`);

  const planned = plannedUsers(env);
  // Only the backup user may go without a password: the other two are the stack's own.
  const unconfigured = planned.find((u) => u.kind !== 'backup' && !env.secrets[u.secret]);
  if (unconfigured) {
    throw failure('InvalidConfig', `environment ${environment}: database user ${unconfigured.user} needs secret ${unconfigured.secret} in secrets`);
  }
  const skipped: DatabaseUserOutcome[] = [];
  const users: DatabaseUser[] = [];
  for (const u of planned) {
    const source = env.secrets[u.secret];
    if (!source) {
      log(notManaged(u));
      skipped.push({ kind: u.kind, user: u.user, action: 'skipped', reason: notManaged(u), roles: [] });
      continue;
    }
    // The password itself, even when the entry is URI-encoded for a connection string.
    users.push({ kind: u.kind, user: u.user, database: u.database, password: readSecret(u.secret, { ...source, encode: undefined }) });
  }
  const root = users.find((u) => u.kind === 'root')!;

  return withDatabase(hostTargetOf(env), { user: root.user, password: root.password }, async (client) => {
    const admin = client.db(USERS_DATABASE);
    const server = serverOf(await admin.command({ buildInfo: 1 }));
    if (!server.authorization) log(`${server.name} has no authorization: users and passwords are set, roles are not`);
    const existing = existingUsers(await admin.command(usersInfoCommand()));
    const exact = userCommands(existing, users);
    await runUserCommands(admin, server.authorization ? exact : withoutRoles(exact));
    const done = users.map(
      (u, i): DatabaseUserOutcome => ({
        kind: u.kind,
        user: u.user,
        action: 'createUser' in exact[i]! ? 'created' : 'updated',
        roles: server.authorization ? rolesOf(u).map((r) => `${r.role}@${r.db}`) : [],
      }),
    );
    const order = planned.map((p) => p.kind);
    return {
      environment,
      server: server.name,
      rolesApplied: server.authorization,
      users: [...done, ...skipped].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)),
    };
  });
}

/** Where the commands go: the driver's admin database, or a stand-in in the tests. */
interface CommandTarget {
  command(document: UserCommand): Promise<unknown>;
}

/**
 * Sends each command in turn. A refusal names the command and its user, and
 * the server's code: never its message, which is the server's to word, and
 * never the document, which holds the password. No cause is kept either:
 * Temporal would record it in the history.
 */
export async function runUserCommands(db: CommandTarget, commands: UserCommand[]): Promise<void> {
  for (const command of commands) {
    const { name, user } = describeUserCommand(command);
    log(`${name} ${user}`);
    try {
      await db.command(command);
    } catch (err) {
      const e = err as { codeName?: unknown; code?: unknown; name?: unknown };
      const why = typeof e.codeName === 'string' ? `${e.codeName} (${String(e.code)})` : String(e.name ?? 'error');
      throw new Error(`${name} ${user} failed: ${why}`);
    }
  }
}

function log(line: string): void {
  try {
    Context.current().log.info(line);
  } catch {
    // outside an activity (tests): stay quiet
  }
}
