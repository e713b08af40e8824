// Documents in a lab host's database, through the mongo container's own
// shell (as an operator would check), with the lab's root credentials.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onHost, type LabHost } from './lab.ts';
import { LAB_CACHE } from './paths.ts';

const rootPassword = () => readFileSync(join(LAB_CACHE, 'lab/secrets/mongo-root-password'), 'utf8').trim();

/** One database command through the container's shell, as root; its JSON answer. */
export function command(host: LabHost, db: string, json: unknown): any {
  const script = `docker exec mongo mongosh --quiet -u admin -p "$1" --authenticationDatabase admin ${db} --eval "$2"`;
  const out = onHost(host, `set -- '${rootPassword()}' '${`db.runCommand(${JSON.stringify(json)})`}'; ${script}`);
  return JSON.parse(out);
}

export function insertCooks(host: LabHost, n: number): void {
  const documents = Array.from({ length: n }, (_, i) => ({ name: `brisket ${i}`, temperature: 225 + i }));
  command(host, 'smartsmoker', { insert: 'cooks', documents });
}

export function countCooks(host: LabHost): number {
  return Number(command(host, 'smartsmoker', { count: 'cooks' }).n);
}
