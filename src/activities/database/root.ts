// The database as its root user, through the SSH tunnel: the password read
// here, on the worker, from the environment's secrets, and nowhere else.
import type { Collection, Db } from 'mongodb';
import type { BackupPlan, CollectionIndexes, IndexSpec } from '../../workflows/types.ts';
import { failure } from '../../workflows/failures.ts';
import { SYSTEM_DATABASES } from '../../workflows/database-state.ts';
import { hostTargetOf, workerConfig } from '../plan.ts';
import { readSecret } from '../secrets.ts';
import { withDatabase } from './connect.ts';
import { plannedUsers } from './users.ts';


export async function asRoot<T>(configFile: string, plan: Pick<BackupPlan, 'environment'>, fn: (admin: Db) => Promise<T>): Promise<T> {
  const env = workerConfig(configFile).environments[plan.environment]!;
  const root = plannedUsers(env).find((u) => u.kind === 'root')!;
  const source = env.secrets[root.secret];
  if (!source) throw failure('InvalidConfig', `environment ${plan.environment}: the database's root user needs secret ${root.secret} in secrets`);
  const password = readSecret(root.secret, { ...source, encode: undefined });
  return withDatabase(hostTargetOf(env), { user: root.user, password }, (client) => fn(client.db('admin')));
}

/** The application databases (not admin, config, local), by name. */
export async function appDatabases(admin: Db): Promise<string[]> {
  const { databases } = (await admin.command({ listDatabases: 1, nameOnly: true })) as { databases: { name: string }[] };
  return databases.map((d) => d.name).filter((name) => !SYSTEM_DATABASES.has(name)).sort();
}

/** Every application collection (system.* excepted), sorted by namespace. */
export async function appCollections(admin: Db): Promise<{ namespace: string; collection: Collection }[]> {
  const found: { namespace: string; collection: Collection }[] = [];
  for (const name of await appDatabases(admin)) {
    const db = admin.client.db(name);
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name as string).filter((c) => !c.startsWith('system.'));
    for (const collection of names.sort()) found.push({ namespace: `${name}.${collection}`, collection: db.collection(collection) });
  }
  return found;
}

/** Every application collection's index specs as a createIndexes would take them (no "v", no "ns"). */
export async function indexesOf(configFile: string, plan: Pick<BackupPlan, 'environment'>): Promise<CollectionIndexes[]> {
  return asRoot(configFile, plan, async (admin) => {
    const found: CollectionIndexes[] = [];
    for (const { namespace, collection } of await appCollections(admin)) {
      const specs = (await collection.listIndexes().toArray()).map(({ v: _v, ns: _ns, ...spec }) => spec as IndexSpec);
      found.push({ namespace, specs: specs.sort((a, b) => (a.name < b.name ? -1 : 1)) });
    }
    return found;
  });
}
