// Pure builders for the database users smokestack manages: the exact
// createUser / updateUser command documents, sent through the MongoDB
// driver (not a shell), so a password never becomes argv. The documents
// hold passwords: they are sent, never logged; describeUserCommand() is what
// a log line or an error may show.

/** The users every cloud database has: the administrator, the application, and the backups. */
export type DatabaseUserKind = 'root' | 'app' | 'backup';

/** One user as the worker resolved it: name, password (read from a secret), and for the app its database. */
export interface DatabaseUser {
  kind: DatabaseUserKind;
  user: string;
  password: string;
  /** app: the one database it may read and write. */
  database?: string;
}

export interface Role {
  role: string;
  db: string;
}

export type UserCommand = { createUser: string; pwd: string; roles: Role[] } | { updateUser: string; pwd: string; roles: Role[] };

/** Every user lives in the admin database (the backend connects with authSource=admin). */
export const USERS_DATABASE = 'admin';

/** Each kind's roles, and nothing more: the app reaches one database, the backups may only dump and restore. */
export function rolesOf(user: Pick<DatabaseUser, 'kind' | 'database'>): Role[] {
  switch (user.kind) {
    case 'root':
      return [{ role: 'root', db: 'admin' }];
    case 'app':
      if (!user.database) throw new Error('the app user needs its database');
      return [{ role: 'readWrite', db: user.database }];
    case 'backup':
      return [
        { role: 'backup', db: 'admin' },
        { role: 'restore', db: 'admin' },
      ];
  }
}

/** The names of the admin database's users, from a `usersInfo` reply. */
export const usersInfoCommand = () => ({ usersInfo: 1 }) as const;

export function existingUsers(reply: { users?: Array<{ user?: unknown; db?: unknown }> }): Set<string> {
  return new Set((reply.users ?? []).filter((u) => u.db === USERS_DATABASE && typeof u.user === 'string').map((u) => u.user as string));
}

/**
 * One command per user, in the order given: createUser for a user that does
 * not exist yet, updateUser (password and roles set again) for one that does.
 * Running them twice changes nothing the second time: that is the idempotence.
 */
export function userCommands(existing: Set<string>, users: DatabaseUser[]): UserCommand[] {
  return users.map((u) =>
    existing.has(u.user) ? { updateUser: u.user, pwd: u.password, roles: rolesOf(u) } : { createUser: u.user, pwd: u.password, roles: rolesOf(u) },
  );
}

/** The command's name and its user: all a log line or an error may say of it. */
export function describeUserCommand(command: UserCommand): { name: 'createUser' | 'updateUser'; user: string } {
  return 'createUser' in command ? { name: 'createUser', user: command.createUser } : { name: 'updateUser', user: command.updateUser };
}

/**
 * For a server without authorization (FerretDB 1.x refuses any role with
 * NotImplemented): the same commands with no roles. The users and passwords
 * are real there, the roles could not be enforced anyway; the caller says so.
 */
export function withoutRoles(commands: UserCommand[]): UserCommand[] {
  return commands.map((c) => ({ ...c, roles: [] }));
}

/** What a `buildInfo` reply says of the server: its name, and whether it enforces roles. */
export function serverOf(buildInfo: { version?: unknown; ferretdbVersion?: unknown }): { name: string; authorization: boolean } {
  if (typeof buildInfo.ferretdbVersion === 'string') {
    // FerretDB 1.x implements authentication (SCRAM) but not authorization.
    return { name: `FerretDB ${buildInfo.ferretdbVersion}`, authorization: !/^v?1\./.test(buildInfo.ferretdbVersion) };
  }
  return { name: `MongoDB ${String(buildInfo.version ?? 'unknown version')}`, authorization: true };
}
