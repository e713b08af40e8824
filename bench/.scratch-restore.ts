import { spawn } from 'node:child_process';
import { BSON, ObjectId } from 'mongodb';
import { loadConfig } from '../src/config/load.ts';
import { LAB_CONFIG } from '../test/support/worker.ts';
const env = loadConfig(LAB_CONFIG).environments['prod-cloud']!;
const N = Number(process.argv[2] ?? 40000), W = Number(process.argv[3] ?? 4);
const t = Date.UTC(2024, 0, 1);
const mk = (i: number) => ({ _id: new ObjectId(), smokerId: `smoker-${i % 40}`, cookId: new ObjectId(), at: new Date(t + i * 5000), chamber: 225 + Math.random() * 20, probes: [140 + Math.random() * 60, 150 + Math.random() * 50, 0, 0], setpoint: 225, fan: Math.round(Math.random() * 100), damper: Math.round(Math.random() * 100), battery: 87.5, rssi: -60, firmware: 'v1.4.2' });
const script = `docker exec -i mongo sh -c 'exec mongorestore --quiet --username "$MONGO_INITDB_ROOT_USERNAME" --password "$MONGO_INITDB_ROOT_PASSWORD" --authenticationDatabase admin --db scratchbench --collection readings2 --drop --numInsertionWorkersPerCollection ${W} -'`;
const t0 = performance.now();
const p = spawn('ssh', ['-q', '-i', env.privateKey, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', `root@${env.host}`, script], { stdio: ['pipe', 'inherit', 'inherit'] });
let bytes = 0;
for (let i = 0; i < N; ) {
  const bufs: Uint8Array[] = [];
  for (let k = 0; k < 1000 && i < N; k++) { const b = BSON.serialize(mk(i++)); bytes += b.length; bufs.push(b); }
  if (!p.stdin.write(Buffer.concat(bufs))) await new Promise((r) => p.stdin.once('drain', r));
}
p.stdin.end();
const code = await new Promise((r) => p.on('close', r));
const s = (performance.now() - t0) / 1000;
console.log({ code, N, W, s, rate: N / s, bsonBytes: bytes, avg: bytes / N });
