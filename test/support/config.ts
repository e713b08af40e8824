// Test variants of the lab configuration, written to a temporary file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { LAB_CONFIG } from './worker.ts';

/** The lab's smokestack.yml with `edit` applied; relative paths keep pointing into the repo. */
export function labConfigWith(edit: (config: any) => void): string {
  const config = parse(readFileSync(LAB_CONFIG, 'utf8'));
  edit(config);
  for (const env of Object.values<any>(config.environments)) {
    env.composeFile = resolve(LAB_CONFIG, '..', env.composeFile);
    env.extraFiles = (env.extraFiles ?? []).map((f: string) => resolve(LAB_CONFIG, '..', f));
    env.readableExtraFiles = (env.readableExtraFiles ?? []).map((f: string) => resolve(LAB_CONFIG, '..', f));
  }
  const file = join(mkdtempSync(join(tmpdir(), 'smokestack-test-')), 'smokestack.yml');
  writeFileSync(file, stringify(config));
  return file;
}
