// The scripts smokestack runs inside the mongo container, run here by a
// real sh against a stand-in mongodump/mongorestore that reports what it
// was given: the root password must reach the tool in its config file,
// never in its argv (which `ps` on the host shows to anyone).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as mongo from '../../src/commands/mongo.ts';

const PASSWORD = `it's a "pass" word $HOME \\ `;

/** Runs a container script with a fake tool on PATH; what the tool saw, and the script's exit code. */
function run(script: string, exitCode = 0) {
  const dir = mkdtempSync(join(tmpdir(), 'smokestack-mongo-'));
  const seen = join(dir, 'seen');
  for (const tool of ['mongodump', 'mongorestore']) {
    const fake = join(dir, tool);
    // Records its argv, and the file given to --config while it still exists.
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > ${seen}.argv\nwhile [ $# -gt 0 ]; do [ "$1" = --config ] && cp "$2" ${seen}.config && ls -l "$2" | cut -c1-10 > ${seen}.mode && echo "$2" > ${seen}.path; shift; done\nexit ${exitCode}\n`);
    chmodSync(fake, 0o755);
  }
  const result = spawnSync('sh', ['-c', script], {
    env: { PATH: `${dir}:/usr/bin:/bin`, MONGO_INITDB_ROOT_USERNAME: 'admin', MONGO_INITDB_ROOT_PASSWORD: PASSWORD, TMPDIR: dir },
    encoding: 'utf8',
  });
  const read = (suffix: string) => readFileSync(`${seen}.${suffix}`, 'utf8');
  return { code: result.status, argv: read('argv'), config: read('config'), mode: read('mode').trim(), path: read('path').trim() };
}

describe('mongo-tools scripts: the password in a private config file', () => {
  for (const [name, command] of [
    ['the pre-deploy dump', mongo.dumpDatabase('mongo', '/x')],
    ['the backup dump', mongo.dumpDatabaseLogged('mongo', '/x')],
    ['the restore', mongo.restoreDatabase('mongo', '/x')],
  ] as const) {
    it(`${name}: never in argv; exactly in the YAML config, mode 0600, removed afterwards`, () => {
      const seen = run(command.argv[6]!);
      expect(seen.code).toBe(0);
      expect(seen.argv).not.toContain('pass');
      expect(seen.argv).toContain('admin');
      expect(seen.config).toBe(`password: 'it''s a "pass" word $HOME \\ '\n`);
      expect(seen.mode).toBe('-rw-------');
      expect(() => readFileSync(seen.path)).toThrow(/ENOENT/);
    });
  }

  it("passes the tool's exit code on, after removing the file", () => {
    const seen = run(mongo.dumpDatabaseLogged('mongo', '/x').argv[6]!, 3);
    expect(seen.code).toBe(3);
    expect(() => readFileSync(seen.path)).toThrow(/ENOENT/);
  });
});
