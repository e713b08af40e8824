// Configuration: every invalid field is named, with the file it is in.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';
import { REPO_ROOT } from '../support/paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'smokestack-config-'));
writeFileSync(join(dir, 'stack.yml'), 'services: {}\n');
const file = join(dir, 'smokestack.yml');

const valid = () => ({
  environments: {
    'dev-cloud': {
      kind: 'cloud',
      host: 'dev.example',
      privateKey: '~/.ssh/id_ed25519',
      deployDir: '/opt/smart-smoker-dev',
      composeFile: 'stack.yml',
      services: { backend: { container: 'backend_cloud', http: 'http://127.0.0.1:3001/api/ready' } },
    },
  },
});

function problemsOf(mutate: (c: any) => void): string[] {
  const config = valid();
  mutate(config);
  try {
    parseConfig(config, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(file);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

const env = (c: any) => c.environments['dev-cloud'];

describe('configuration', () => {
  it('accepts a valid file and fills in defaults', () => {
    const config = parseConfig(valid(), file);
    const dev = config.environments['dev-cloud']!;
    expect(dev.port).toBe(22);
    expect(dev.user).toBe('root');
    expect(dev.health.timeoutSeconds).toBe(300);
    expect(dev.composeFile).toBe(join(dir, 'stack.yml'));
    expect(config.temporal.address).toBe('localhost:7233');
  });

  it.each([
    ['environments.dev-cloud.kind', (c: any) => (env(c).kind = 'moon')],
    ['environments.dev-cloud.host', (c: any) => delete env(c).host],
    ['environments.dev-cloud.port', (c: any) => (env(c).port = 'twenty-two')],
    ['environments.dev-cloud.port', (c: any) => (env(c).port = 70000)],
    ['environments.dev-cloud.user', (c: any) => (env(c).user = 'root; rm -rf /')],
    ['environments.dev-cloud.privateKey', (c: any) => delete env(c).privateKey],
    ['environments.dev-cloud.connectTimeoutSeconds', (c: any) => (env(c).connectTimeoutSeconds = 0)],
    ['environments.dev-cloud.hostKey', (c: any) => (env(c).hostKey = 'ssh-ed25519 AAAA')],
    ['environments.dev-cloud.deployDir', (c: any) => (env(c).deployDir = 'relative/dir')],
    ['environments.dev-cloud.deployDir', (c: any) => (env(c).deployDir = '/opt/$(reboot)')],
    ['environments.dev-cloud.composeFile', (c: any) => (env(c).composeFile = 'missing.yml')],
    ['environments.dev-cloud.extraFiles.0', (c: any) => (env(c).extraFiles = ['nope'])],
    ['environments.dev-cloud.env.lower', (c: any) => (env(c).env = { lower: 'x' })],
    ['environments.dev-cloud.secrets.DB', (c: any) => (env(c).secrets = { DB: { vault: 'x' } })],
    ['environments.dev-cloud.services.backend.container', (c: any) => (env(c).services.backend.container = 'bad name')],
    ['environments.dev-cloud.services.backend.http', (c: any) => (env(c).services.backend.http = 'not a url')],
    ['environments.dev-cloud.services.backend.extra', (c: any) => (env(c).services.backend.extra = 1)],
    ['environments.dev-cloud.health.timeoutSeconds', (c: any) => (env(c).health = { timeoutSeconds: 1 })],
    ['environments.dev-cloud.minFreeDiskMb', (c: any) => (env(c).minFreeDiskMb = -1)],
    ['environments.dev-cloud.typo', (c: any) => (env(c).typo = true)],
    ['environments.Dev_Cloud', (c: any) => (c.environments.Dev_Cloud = env(c))],
    ['environments', (c: any) => (c.environments = {})],
    ['temporal.uiUrl', (c: any) => (c.temporal = { uiUrl: 'nope' })],
  ])('names %s when it is invalid', (field, mutate) => {
    const problems = problemsOf(mutate);
    expect(problems.some((p) => p.startsWith(`${field}:`) || p.startsWith(`${field} `)), problems.join('\n')).toBe(true);
  });

  it('names the file when it is missing or not YAML', () => {
    expect(() => loadConfig(join(dir, 'absent.yml'))).toThrow(/absent\.yml/);
    writeFileSync(join(dir, 'broken.yml'), 'environments: [\n');
    expect(() => loadConfig(join(dir, 'broken.yml'))).toThrow(/broken\.yml[\s\S]*YAML/);
  });

  it('the lab configuration and the documented example are both valid', () => {
    expect(Object.keys(loadConfig(join(REPO_ROOT, 'smokestack.yml')).environments)).toEqual([
      'dev-cloud',
      'prod-cloud',
      'virtual-smoker',
      'smoker',
    ]);
    expect(Object.keys(loadConfig(join(REPO_ROOT, 'config/smart-smoker.example.yml')).environments)).toEqual([
      'dev-cloud',
      'prod-cloud',
      'virtual-smoker',
      'smoker',
    ]);
  });
});

describe('documentation', () => {
  it('docs/configuration.md is what the schema generates (run `npx smokestack config docs`)', async () => {
    const { configurationDocs } = await import('../../src/config/docs.ts');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(REPO_ROOT, 'docs/configuration.md'), 'utf8')).toBe(configurationDocs());
  });
});
