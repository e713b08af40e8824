import { loadConfig } from '../src/config/load.ts';
import { hostTargetOf } from '../src/activities/plan.ts';
import { withDatabase } from '../src/activities/database/connect.ts';
import { readSecret } from '../src/activities/secrets.ts';
import { LAB_CONFIG } from '../test/support/worker.ts';
import { seed, databaseStats, SEED_DATABASE, mib, findSeed } from './telemetry.ts';
const env = loadConfig(LAB_CONFIG).environments['prod-cloud']!;
const password = readSecret('MONGO_ROOT_PASSWORD', env.secrets.MONGO_ROOT_PASSWORD!);
const target = Number(process.argv[2]) * 2 ** 20;
const P = Number(process.argv[3] ?? 4);
await withDatabase(hostTargetOf(env), { user: 'admin', password }, async (client) => {
  console.log('found', await findSeed(client, target));
  const s = await seed(client, target, console.log, P);
  console.log(s, (s.counts.readings! + s.counts.events! + s.counts.cooks!) / s.seconds, 'docs/s', s.bsonBytes / s.seconds / 2**20, 'MiB/s');
  const st = await databaseStats(client.db(SEED_DATABASE));
  console.log(st, mib(st.dataSize));
  console.log(await client.db(SEED_DATABASE).collection('readings').findOne({}), await client.db(SEED_DATABASE).collection('cooks').findOne({}));
});
process.exit(0);
