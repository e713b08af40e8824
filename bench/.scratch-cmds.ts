import { loadConfig } from '../src/config/load.ts';
import { hostTargetOf } from '../src/activities/plan.ts';
import { withDatabase } from '../src/activities/database/connect.ts';
import { readSecret } from '../src/activities/secrets.ts';
import { LAB_CONFIG } from '../test/support/worker.ts';
const env = loadConfig(LAB_CONFIG).environments['prod-cloud']!;
const password = readSecret('MONGO_ROOT_PASSWORD', env.secrets.MONGO_ROOT_PASSWORD!);
await withDatabase(hostTargetOf(env), { user: 'admin', password }, async (client) => {
  const t = async (name: string, f: () => Promise<unknown>) => { const t0 = performance.now(); const r = await f(); console.log(name, ((performance.now() - t0) / 1000).toFixed(2), 's', JSON.stringify(r).slice(0, 200)); };
  const db = client.db('smartsmoker_bench');
  await t('listDatabases', () => client.db('admin').command({ listDatabases: 1 }));
  await t('listDatabases nameOnly', () => client.db('admin').command({ listDatabases: 1, nameOnly: true }));
  await t('listCollections', () => db.command({ listCollections: 1 }));
  await t('count readings', () => db.command({ count: 'readings' }));
  await t('find first batch', () => db.collection('readings').find({}).limit(100).toArray());
  await t('find first batch hint _id', () => db.collection('readings').find({}).hint({ _id: 1 }).limit(100).toArray());
});
process.exit(0);
