// Database users (issue 9): the exact commands sent to MongoDB, pinned here
// because the lab's FerretDB cannot prove them (it has authentication but
// no authorization: it refuses any role). Passwords below are placeholders;
// the tests also check that none reaches an error message.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { existingUsers, serverOf, userCommands, withoutRoles, type DatabaseUser } from '../../src/commands/mongo-users.ts';
import { ensureDatabaseUsers, plannedUsers, runUserCommands } from '../../src/activities/database/users.ts';
import { redact } from '../../src/activities/database/connect.ts';
import { resultLines } from '../../src/client/db-users-command.ts';
import { parseConfig } from '../../src/config/load.ts';
import { EXIT } from '../../src/client/exit-codes.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { minimalEnvironment } from '../support/fixtures.ts';

const ROOT_PW = 'placeholder-root-pw';
const APP_PW = 'placeholder-app-pw';
const BACKUP_PW = 'placeholder-backup-pw';

const USERS: DatabaseUser[] = [
  { kind: 'root', user: 'admin', password: ROOT_PW },
  { kind: 'app', user: 'smartsmoker', password: APP_PW, database: 'smartsmoker' },
  { kind: 'backup', user: 'smokestack-backup', password: BACKUP_PW },
];

const ROOT_ROLES = [{ role: 'root', db: 'admin' }];
const APP_ROLES = [{ role: 'readWrite', db: 'smartsmoker' }];
const BACKUP_ROLES = [
  { role: 'backup', db: 'admin' },
  { role: 'restore', db: 'admin' },
];

describe('database user commands', () => {
  it('a database without the users: createUser for each, with exactly its roles', () => {
    expect(userCommands(new Set(), USERS)).toEqual([
      { createUser: 'admin', pwd: ROOT_PW, roles: ROOT_ROLES },
      { createUser: 'smartsmoker', pwd: APP_PW, roles: APP_ROLES },
      { createUser: 'smokestack-backup', pwd: BACKUP_PW, roles: BACKUP_ROLES },
    ]);
  });

  it('users that exist are updated (password and roles set again), the others created', () => {
    expect(userCommands(new Set(['admin', 'smartsmoker']), USERS)).toEqual([
      { updateUser: 'admin', pwd: ROOT_PW, roles: ROOT_ROLES },
      { updateUser: 'smartsmoker', pwd: APP_PW, roles: APP_ROLES },
      { createUser: 'smokestack-backup', pwd: BACKUP_PW, roles: BACKUP_ROLES },
    ]);
  });

  it('the command name comes first in each document (MongoDB reads the first key as the command)', () => {
    const [created, updated] = [userCommands(new Set(), USERS)[1]!, userCommands(new Set(['smartsmoker']), USERS)[1]!];
    expect(Object.keys(created)).toEqual(['createUser', 'pwd', 'roles']);
    expect(Object.keys(updated)).toEqual(['updateUser', 'pwd', 'roles']);
  });

  it('the app user reads and writes its own database only, whatever it is called', () => {
    const [app] = userCommands(new Set(), [{ kind: 'app', user: 'cooks', password: APP_PW, database: 'cookbook' }]);
    expect(app).toEqual({ createUser: 'cooks', pwd: APP_PW, roles: [{ role: 'readWrite', db: 'cookbook' }] });
  });

  it('existing users are the admin database\'s, read from a usersInfo reply', () => {
    const reply = {
      users: [
        { _id: 'admin.admin', user: 'admin', db: 'admin' },
        { _id: 'admin.smartsmoker', user: 'smartsmoker', db: 'admin' },
        { _id: 'smartsmoker.smartsmoker', user: 'smokestack-backup', db: 'smartsmoker' },
      ],
    };
    expect(existingUsers(reply)).toEqual(new Set(['admin', 'smartsmoker']));
    expect(existingUsers({})).toEqual(new Set());
  });

  it('a server without authorization gets the same users and passwords, with no roles', () => {
    expect(withoutRoles(userCommands(new Set(['admin']), USERS))).toEqual([
      { updateUser: 'admin', pwd: ROOT_PW, roles: [] },
      { createUser: 'smartsmoker', pwd: APP_PW, roles: [] },
      { createUser: 'smokestack-backup', pwd: BACKUP_PW, roles: [] },
    ]);
  });

  it('only FerretDB 1.x is taken for a server without authorization', () => {
    expect(serverOf({ version: '7.0.14' })).toEqual({ name: 'MongoDB 7.0.14', authorization: true });
    expect(serverOf({ version: '7.0.42', ferretdbVersion: 'v1.24.2' })).toEqual({ name: 'FerretDB v1.24.2', authorization: false });
    expect(serverOf({ version: '7.0.77', ferretdbVersion: 'v2.1.0' })).toEqual({ name: 'FerretDB v2.1.0', authorization: true });
  });
});

describe('sending the commands', () => {
  it('sends each document as built, in order', async () => {
    const sent: unknown[] = [];
    const commands = userCommands(new Set(['admin']), USERS);
    await runUserCommands({ command: async (doc) => void sent.push(doc) }, commands);
    expect(sent).toEqual(commands);
  });

  it('a refusal names the command, the user and the server\'s code: never the password, never the server\'s words', async () => {
    // A server (or a driver) that echoes the whole command back in its message.
    const refuse = async (doc: unknown) => {
      throw Object.assign(new Error(`refused ${JSON.stringify(doc)}`), { code: 238, codeName: 'NotImplemented' });
    };
    const err = await runUserCommands({ command: refuse }, userCommands(new Set(), USERS)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('createUser admin failed: NotImplemented (238)');
    expect((err as Error).cause).toBeUndefined();
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain(ROOT_PW);

    const network = async () => {
      throw Object.assign(new Error(`lost while sending ${APP_PW}`), { name: 'MongoNetworkError' });
    };
    const second = await runUserCommands({ command: network }, userCommands(new Set(), USERS.slice(1))).catch((e: Error) => e);
    expect((second as Error).message).toBe('createUser smartsmoker failed: MongoNetworkError');
  });

  it('a connection error is redacted, should a message ever hold the password', () => {
    expect(redact(`auth as admin:${ROOT_PW} failed`, ROOT_PW)).toBe('auth as admin:*** failed');
    expect(redact('pw a/b+c= and a%2Fb%2Bc%3D', 'a/b+c=')).toBe('pw *** and ***');
  });
});

describe('the users of an environment, from its configuration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smokestack-db-users-'));
  writeFileSync(join(dir, 'stack.yml'), 'services: {}\n');
  const secrets = {
    MONGO_ROOT_PASSWORD: { env: 'UNIT_MONGO_ROOT_PASSWORD' },
    MONGO_APP_PASSWORD: { env: 'UNIT_MONGO_APP_PASSWORD' },
  };
  const configWith = (env: object) => {
    const file = join(dir, `smokestack-${Math.random().toString(36).slice(2)}.yml`);
    writeFileSync(file, stringify({ environments: { 'dev-cloud': { ...minimalEnvironment(), ...env } } }));
    return file;
  };
  const envOf = (env: object) => parseConfig({ environments: { 'dev-cloud': { ...minimalEnvironment(), ...env } } }, join(dir, 'smokestack.yml')).environments['dev-cloud']!;

  it('defaults: root is MONGO_ROOT_USER (else admin), the app smartsmoker on smartsmoker, the backups smokestack-backup', () => {
    expect(plannedUsers(envOf({ database: { container: 'mongo' }, env: { MONGO_ROOT_USER: 'boss' } }))).toEqual([
      { kind: 'root', user: 'boss', secret: 'MONGO_ROOT_PASSWORD' },
      { kind: 'app', user: 'smartsmoker', secret: 'MONGO_APP_PASSWORD', database: 'smartsmoker' },
      { kind: 'backup', user: 'smokestack-backup', secret: 'MONGO_BACKUP_PASSWORD' },
    ]);
    expect(plannedUsers(envOf({ database: { container: 'mongo' } }))[0]).toEqual({ kind: 'root', user: 'admin', secret: 'MONGO_ROOT_PASSWORD' });
  });

  it('every name can be set', () => {
    const users = { root: { user: 'root', secret: 'ROOT_PW' }, app: { user: 'cooks', secret: 'APP_PW', database: 'cookbook' }, backup: { user: 'dumper', secret: 'DUMP_PW' } };
    expect(plannedUsers(envOf({ database: { container: 'mongo', users }, env: { MONGO_ROOT_USER: 'ignored' } }))).toEqual([
      { kind: 'root', user: 'root', secret: 'ROOT_PW' },
      { kind: 'app', user: 'cooks', secret: 'APP_PW', database: 'cookbook' },
      { kind: 'backup', user: 'dumper', secret: 'DUMP_PW' },
    ]);
  });

  it('refuses before reaching any host: an unknown environment, no database, no secret for root or app', async () => {
    const typeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: ApplicationFailure) => `${e.type}: ${e.message}`);
    const noDb = configWith({ secrets });
    expect(await typeOf(ensureDatabaseUsers(noDb, 'prod-cloud'))).toBe('InvalidInput: unknown environment "prod-cloud"; known: dev-cloud');
    expect(await typeOf(ensureDatabaseUsers(noDb, 'dev-cloud'))).toBe('InvalidInput: environment dev-cloud has no database');
    const noApp = configWith({ database: { container: 'mongo' }, secrets: { MONGO_ROOT_PASSWORD: secrets.MONGO_ROOT_PASSWORD } });
    expect(await typeOf(ensureDatabaseUsers(noApp, 'dev-cloud'))).toBe('InvalidConfig: environment dev-cloud: database user smartsmoker needs secret MONGO_APP_PASSWORD in secrets');
    // An entry whose value the worker cannot read: refused too, and the message names the secret only.
    const unset = configWith({ database: { container: 'mongo' }, secrets });
    expect(await typeOf(ensureDatabaseUsers(unset, 'dev-cloud'))).toBe(
      'SecretMissing: secret MONGO_ROOT_PASSWORD: environment variable UNIT_MONGO_ROOT_PASSWORD is not set on the worker',
    );
  });
});

describe('what the CLI prints', () => {
  it('one line per user, never a password; a server without authorization is said so', () => {
    const lines = resultLines({
      environment: 'prod-cloud',
      server: 'FerretDB v1.24.2',
      rolesApplied: false,
      users: [
        { kind: 'root', user: 'admin', action: 'updated', roles: [] },
        { kind: 'app', user: 'smartsmoker', action: 'created', roles: [] },
        { kind: 'backup', user: 'smokestack-backup', action: 'skipped', reason: 'no secret MONGO_BACKUP_PASSWORD: backup user not managed', roles: [] },
      ],
    });
    expect(lines).toEqual([
      '  admin (root): updated',
      '  smartsmoker (app): created',
      '  smokestack-backup (backup): skipped: no secret MONGO_BACKUP_PASSWORD: backup user not managed',
      '  note: FerretDB v1.24.2 has no authorization: users and passwords are set, roles are not',
    ]);
    expect(
      resultLines({
        environment: 'prod-cloud',
        server: 'MongoDB 7.0.14',
        rolesApplied: true,
        users: [{ kind: 'backup', user: 'smokestack-backup', action: 'updated', roles: ['backup@admin', 'restore@admin'] }],
      }),
    ).toEqual(['  smokestack-backup (backup): updated, roles backup@admin restore@admin']);
  });
});

describe('smokestack db users ENV refuses before reaching Temporal or a host', () => {
  // Nothing listens here: a command that got past its checks would exit 6 (unreachable), not 2.
  const NO_TEMPORAL = { TEMPORAL_ADDRESS: '127.0.0.1:1' };
  const errorOf = (stderr: string) => stderr.slice(Math.max(0, stderr.indexOf('error: '))).trim();

  it('an unknown environment, one without a database, one without the root or app password: exit 2', async () => {
    const unknown = await runCli(['db', 'users', 'staging'], NO_TEMPORAL);
    expect([unknown.code, errorOf(unknown.stderr)]).toEqual([EXIT.invalid, expect.stringContaining('error: unknown environment "staging"; known: dev-cloud, prod-cloud')]);
    const device = await runCli(['db', 'users', 'virtual-smoker'], NO_TEMPORAL);
    expect([device.code, errorOf(device.stderr)]).toEqual([EXIT.invalid, 'error: environment virtual-smoker has no database (no `database:` in the configuration)']);
    const noApp = labConfigWith((c) => delete c.environments['prod-cloud'].secrets.MONGO_APP_PASSWORD);
    const missing = await runCli(['--config', noApp, 'db', 'users', 'prod-cloud'], NO_TEMPORAL);
    expect([missing.code, errorOf(missing.stderr)]).toEqual([
      EXIT.invalid,
      'error: environment prod-cloud: the root and app users need their passwords, and secrets has no MONGO_APP_PASSWORD',
    ]);
    for (const run of [unknown, device, missing]) expect(run.stdout).toBe('');
  });

  it('a good request gets as far as Temporal (exit 6 here, with nothing listening)', async () => {
    const run = await runCli(['db', 'users', 'prod-cloud'], NO_TEMPORAL);
    expect(run.code, run.stderr).toBe(EXIT.unreachable);
  });
});
