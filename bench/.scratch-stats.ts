import { loadConfig } from '../src/config/load.ts';
import { hostTargetOf } from '../src/activities/plan.ts';
import { withDatabase } from '../src/activities/database/connect.ts';
import { readSecret } from '../src/activities/secrets.ts';
import { LAB_CONFIG } from '../test/support/worker.ts';
import { databaseStats, SEED_DATABASE, mib, findSeed } from './telemetry.ts';
const env = loadConfig(LAB_CONFIG).environments['prod-cloud']!;
const password = readSecret('MONGO_ROOT_PASSWORD', env.secrets.MONGO_ROOT_PASSWORD!);
await withDatabase(hostTargetOf(env), { user: 'admin', password }, async (client) => {
  console.log(await findSeed(client, 0));
  const st = await databaseStats(client.db(SEED_DATABASE));
  console.log(st, mib(st.dataSize));
  if (process.argv[2] === 'dropscratch') console.log(await client.db('scratchbench').dropDatabase());
});
process.exit(0);
