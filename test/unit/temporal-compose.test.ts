// docker-compose.temporal.yml cannot be started here (no image can be
// pulled), so it is validated by both Compose implementations instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LAB_CACHE, REPO_ROOT } from '../support/paths.ts';

const file = join(REPO_ROOT, 'docker-compose.temporal.yml');
const secrets = join(mkdtempSync(join(tmpdir(), 'smokestack-')), 'secrets.env');
writeFileSync(secrets, 'DEV_MONGO_ROOT_PASSWORD=x\n');
// The codec token, as docs/operations.md makes it: the codec server's, and the UI's endpoint with it.
const codecToken = join(mkdtempSync(join(tmpdir(), 'smokestack-')), 'codec-token.env');
const TOKEN = 'f'.repeat(64);
writeFileSync(codecToken, `SMOKESTACK_CODEC_TOKEN=${TOKEN}\nTEMPORAL_CODEC_ENDPOINT=http://localhost:8888/${TOKEN}\n`);
const env = { ...process.env, TEMPORAL_DB_PASSWORD: 'test', SMOKESTACK_SECRETS_FILE: secrets, SMOKESTACK_CODEC_TOKEN_ENV: codecToken };

const compose = {
  'Compose v2': [join(LAB_CACHE, 'bin', 'docker-compose')],
  'Compose v1': ['docker-compose'],
};

describe('docker-compose.temporal.yml', () => {
  it.each(Object.entries(compose))('is valid for %s', (_, [bin]) => {
    const r = spawnSync(bin!, ['--file', file, 'config'], { env, encoding: 'utf8', cwd: REPO_ROOT });
    expect(r.stderr).not.toMatch(/error|invalid|unsupported/i);
    expect(r.status, r.stderr).toBe(0);
    const model = parse(r.stdout);
    expect(Object.keys(model.services).sort()).toEqual(['codec-server', 'postgresql', 'search-attributes', 'temporal', 'temporal-ui', 'worker']);
    // v2 prints ports as objects, v1 as strings: either way only loopback.
    for (const service of ['temporal', 'temporal-ui']) {
      expect(JSON.stringify(model.services[service].ports), service).toMatch(/127\.0\.0\.1/);
    }
    // The codec server's token, and the UI's codec endpoint carrying it, from the one env file.
    expect(model.services['codec-server'].environment.SMOKESTACK_CODEC_TOKEN).toBe(TOKEN);
    expect(model.services['temporal-ui'].environment.TEMPORAL_CODEC_ENDPOINT).toBe(`http://localhost:8888/${TOKEN}`);
  });

  it('refuses to start without the database password', () => {
    const { TEMPORAL_DB_PASSWORD: _, ...noPassword } = env;
    const r = spawnSync(join(LAB_CACHE, 'bin', 'docker-compose'), ['--file', file, 'config'], { env: noPassword, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('set TEMPORAL_DB_PASSWORD');
  });
});
