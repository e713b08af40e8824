// `smokestack doctor`'s judgements, without a host or a server: the Docker
// rule table, what the compose files ask for, disk, the webhook's shape and
// its redaction, search attributes, pollers, the registry's answer, the
// lines and the exit code.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SearchAttributeType } from '@temporalio/common';
import { below, describeDocker, dockerFindings, parseVersion, type DockerFacts } from '../../src/doctor/docker-rules.ts';
import { servicesWithStartInterval } from '../../src/doctor/compose-features.ts';
import { judgeDisk } from '../../src/doctor/disk.ts';
import { judgeWebhook, redactWebhook } from '../../src/doctor/webhook.ts';
import { compareSearchAttributes, indexedValueType, typeName, wrongTypeAdvice } from '../../src/doctor/search-attributes.ts';
import { livePollers, POLLER_FRESH_SECONDS } from '../../src/doctor/temporal-checks.ts';
import { judgeRegistryAnswer } from '../../src/doctor/registry-check.ts';
import { doctorExitCode, fail, ok, renderLine, warn, worst } from '../../src/doctor/lines.ts';
import { runDoctor } from '../../src/client/doctor-command.ts';
import { REPO_ROOT } from '../support/paths.ts';

describe('versions', () => {
  it('reads the versions hosts print', () => {
    expect(parseVersion('20.10.24+dfsg1')).toEqual([20, 10, 24]);
    expect(parseVersion('v2.40.3\n')).toEqual([2, 40, 3]);
    expect(parseVersion('25.0')).toEqual([25, 0, 0]);
    expect(parseVersion('unknown')).toBeUndefined();
  });

  it('compares by number, not by text', () => {
    expect(below('9.0.0', '25.0.0')).toBe(true);
    expect(below('24.0.9', '25.0.0')).toBe(true);
    expect(below('25.0.0', '25.0.0')).toBe(false);
    expect(below('2.9.0', '2.20.0')).toBe(true);
    expect(below('2.24.0', '2.24.1')).toBe(true);
    expect(below('2.100.0', '2.24.1')).toBe(false);
    // Nothing to judge: no rule fires on an absent or unreadable version.
    expect(below(undefined, '25.0.0')).toBe(false);
    expect(below('dev', '25.0.0')).toBe(false);
  });
});

describe('the Docker rule table', () => {
  const SMOKER = ['compose/smoker.docker-compose.yml (frontend)'];
  const facts = (f: Partial<DockerFacts>): DockerFacts => ({ engine: '26.1.5', composeV2: '2.40.3', startIntervalFiles: [], ...f });
  const judged = (f: Partial<DockerFacts>) => dockerFindings(facts(f)).map((x) => `${x.status}: ${x.detail}`);

  it('finds nothing wrong with a current Engine and Compose', () => {
    expect(judged({ startIntervalFiles: SMOKER })).toEqual([]);
    expect(judged({ engine: '20.10.24+dfsg1' })).toEqual([]);
    expect(describeDocker(facts({}))).toBe('Engine 26.1.5, Compose 2.40.3');
  });

  it('fails an Engine older than 25 when a compose file sets healthcheck.start_interval', () => {
    expect(judged({ engine: '20.10.24+dfsg1', startIntervalFiles: SMOKER })).toEqual([
      'fail: Docker Engine 20.10.24+dfsg1 is older than 25.0, which compose/smoker.docker-compose.yml (frontend) needs (healthcheck.start_interval): upgrade Docker Engine',
    ]);
    expect(judged({ engine: '24.0.9', startIntervalFiles: SMOKER })[0]).toMatch(/^fail: Docker Engine 24\.0\.9 is older than 25\.0/);
    expect(judged({ engine: '25.0.0', startIntervalFiles: SMOKER })).toEqual([]);
  });

  it('fails Compose v1 alone with start_interval, and warns of it alone without', () => {
    const v1 = { composeV2: undefined, composeV1: '1.29.2' };
    expect(judged({ ...v1, startIntervalFiles: SMOKER })).toEqual([
      'fail: only Compose v1 (1.29.2), which refuses compose/smoker.docker-compose.yml (frontend) (healthcheck.start_interval): install the docker-compose-plugin package',
      'warn: only Compose v1 (1.29.2), unmaintained since July 2023: install the docker-compose-plugin package',
    ]);
    expect(judged(v1)).toEqual(['warn: only Compose v1 (1.29.2), unmaintained since July 2023: install the docker-compose-plugin package']);
    expect(describeDocker(facts(v1))).toBe('Engine 26.1.5, Compose v1 1.29.2');
  });

  it('judges Compose v2 by the version that reads, then passes on, start_interval', () => {
    expect(judged({ composeV2: '2.19.1', startIntervalFiles: SMOKER })).toEqual([
      'fail: Compose 2.19.1 is older than 2.20 and refuses compose/smoker.docker-compose.yml (frontend) (healthcheck.start_interval): upgrade the docker-compose-plugin package',
    ]);
    for (const version of ['2.20.0', '2.23.3', '2.24.0']) {
      expect(judged({ composeV2: version, startIntervalFiles: SMOKER }), version).toEqual([
        `warn: Compose ${version} ignores healthcheck.start_interval in compose/smoker.docker-compose.yml (frontend) (passed on from 2.24.1): health checks start slowly; upgrade the docker-compose-plugin package`,
      ]);
    }
    expect(judged({ composeV2: '2.24.1', startIntervalFiles: SMOKER })).toEqual([]);
  });

  it('warns of Compose v2 before 2.20 even without start_interval', () => {
    expect(judged({ composeV2: '2.17.2' })).toEqual([
      'warn: Compose 2.17.2 is older than 2.20, which current Compose files may need (depends_on.required, include): upgrade the docker-compose-plugin package',
    ]);
    expect(judged({ composeV2: '2.20.0' })).toEqual([]);
  });

  it('fails a host without Docker or without any Compose', () => {
    expect(judged({ engine: undefined })).toEqual(['fail: Docker Engine does not answer (`docker version` failed): install it, or let the SSH user run docker']);
    expect(judged({ composeV2: undefined })).toEqual([
      'fail: neither `docker compose` (v2) nor `docker-compose` (v1) works: install the docker-compose-plugin package',
    ]);
  });
});

describe('what the compose files ask for', () => {
  const composeFile = (name: string) => readFileSync(join(REPO_ROOT, 'compose', name), 'utf8');

  it("finds the Pi's start_interval, and none in the other stacks", () => {
    expect(servicesWithStartInterval(composeFile('smoker.docker-compose.yml'))).toEqual(['frontend']);
    expect(servicesWithStartInterval(composeFile('virtual-smoker.docker-compose.yml'))).toEqual([]);
    expect(servicesWithStartInterval(composeFile('cloud.docker-compose.yml'))).toEqual([]);
  });

  it('finds one that comes through a merge key', () => {
    const text = ['x-check: &check', '  healthcheck: { test: [CMD, "true"], start_interval: 2s }', 'services:', '  app:', '    <<: *check', '    image: busybox', '  other: { image: busybox }', ''].join('\n');
    expect(servicesWithStartInterval(text)).toEqual(['app']);
  });
});

describe('free disk', () => {
  it('fails below the floor deploys refuse at, warns below twice it', () => {
    expect(judgeDisk('d disk', 511, 512, '/opt/x')).toEqual(fail('d disk', '511 MB free for /opt/x, below minFreeDiskMb (512 MB): deploys are refused; prune images (docker image prune) or grow the disk'));
    expect(judgeDisk('d disk', 1023, 512, '/opt/x').status).toBe('warn');
    expect(judgeDisk('d disk', 1024, 512, '/opt/x')).toEqual(ok('d disk', '1.0 GB free for /opt/x'));
    expect(judgeDisk('d disk', 48_250, 1024, '/opt/x').detail).toBe('47 GB free for /opt/x');
  });
});

describe('the Discord webhook', () => {
  const TOKEN = 'aB3_cD4-eF5gH6iJ7kL8mN9oP0qR1sT2uV3wX4yZ5aB6cD7eF8gH9iJ0kL1mN2oP3qR4sT5u';
  const URL_ = `https://discord.com/api/webhooks/100000000000000001/${TOKEN}`;

  it('accepts the URL Discord gives, and shows it without its token', () => {
    expect(judgeWebhook('w', URL_)).toEqual(ok('w', 'https://discord.com/api/webhooks/100000000000000001/***, well formed'));
    expect(judgeWebhook('w', `https://discordapp.com/api/v10/webhooks/1/${TOKEN}/`).status).toBe('ok');
    expect(redactWebhook(URL_)).toBe('https://discord.com/api/webhooks/100000000000000001/***');
  });

  it("accepts a URL under the configured apiBase (the lab's stand-in), and says where notices go", () => {
    expect(judgeWebhook('w', URL_, 'http://127.0.0.1:5099/api').detail).toContain('(notices go to http://127.0.0.1:5099/api)');
    expect(judgeWebhook('w', `http://127.0.0.1:5099/api/webhooks/1/${TOKEN}`, 'http://127.0.0.1:5099/api').status).toBe('ok');
  });

  it('fails anything else, never printing the token', () => {
    const bad = [
      `http://discord.com/api/webhooks/1/${TOKEN}`,
      `https://example.com/api/webhooks/1/${TOKEN}`,
      `https://discord.com/api/webhooks/not-a-number/${TOKEN}`,
      `https://discord.com/api/webhooks/1/${TOKEN}/extra`,
      `https://discord.com/api/webhooks/1/${TOKEN}?token=${TOKEN}`,
      `https://user:${TOKEN}@discord.com/api/webhooks/1/x`,
      `discord.com/api/webhooks/1/${TOKEN}`,
      TOKEN,
    ];
    for (const url of bad) {
      const line = judgeWebhook('w', url);
      expect(line.status, url).toBe('fail');
      expect(line.detail, url).not.toContain(TOKEN);
      expect(line.detail.slice(0, 40), url).not.toContain(TOKEN.slice(0, 8));
    }
    expect(judgeWebhook('w', `https://example.com/api/webhooks/1/${TOKEN}`).detail).toBe(
      'https://example.com/api/webhooks/1/*** is not on https://discord.com (nor under the configured apiBase): copy the URL again from Discord',
    );
    expect(judgeWebhook('w', `https://discord.com/api/webhooks/1/${TOKEN}/extra`).detail).toMatch(/^https:\/\/discord\.com\/… is not of the form/);
  });
});

describe('search attributes', () => {
  const KEYWORD = indexedValueType(SearchAttributeType.KEYWORD);
  const TEXT = indexedValueType(SearchAttributeType.TEXT);

  it('names what is there, what is missing and what has another type', () => {
    const state = compareSearchAttributes({ SmokestackEnvironment: KEYWORD, SmokestackVersion: TEXT, Unrelated: TEXT });
    expect(state.present).toEqual(['SmokestackEnvironment']);
    expect(state.missing.map((a) => a.name)).toEqual(['SmokestackOutcome']);
    expect(state.wrongType).toEqual([{ name: 'SmokestackVersion', registered: 'Text', wanted: 'Keyword' }]);
    expect(wrongTypeAdvice(state, 'default')).toBe(
      'SmokestackVersion is Text, not Keyword: remove it (temporal operator search-attribute remove --namespace default --name SmokestackVersion), then run smokestack setup',
    );
  });

  it('spells types as the temporal CLI does', () => {
    expect(KEYWORD).toBe(2);
    expect(typeName(indexedValueType(SearchAttributeType.KEYWORD_LIST))).toBe('KeywordList');
  });
});

describe('pollers', () => {
  it('counts a worker that polled recently, not one that stopped minutes ago', () => {
    const now = 1_800_000_000_000;
    const at = (secondsAgo: number) => ({ seconds: now / 1000 - secondsAgo, nanos: 0 });
    const pollers = [
      { identity: '12@runner', lastAccessTime: at(30) },
      { identity: '13@gone', lastAccessTime: at(POLLER_FRESH_SECONDS + 1) },
    ];
    expect(livePollers(pollers, now)).toEqual(['12@runner']);
    expect(livePollers([], now)).toEqual([]);
  });
});

describe('the registry', () => {
  it('takes 200 and 401 (a registry that wants a login) as there, anything else as not', () => {
    expect(judgeRegistryAnswer('https://registry-1.docker.io/', 401)).toEqual(ok('registry', 'https://registry-1.docker.io/v2/ answers 401'));
    expect(judgeRegistryAnswer('http://127.0.0.1:5000', 200).status).toBe('ok');
    expect(judgeRegistryAnswer('http://127.0.0.1:5000', 404).status).toBe('fail');
  });
});

describe('lines and the exit code', () => {
  it('renders a mark, a name and a detail in columns', () => {
    expect(renderLine(ok('temporal', 'localhost:7233'))).toBe('ok    temporal                  localhost:7233');
    expect(renderLine(warn('smoker ssh', 'off'))).toBe('warn  smoker ssh                off');
    expect(renderLine(fail('worker', 'none'))).toBe('FAIL  worker                    none');
  });

  it('fails when any check failed, and only then', () => {
    expect(doctorExitCode([ok('a', ''), warn('b', '')])).toBe(0);
    expect(doctorExitCode([ok('a', ''), warn('b', ''), fail('c', '')])).toBe(1);
    expect(doctorExitCode([])).toBe(0);
    expect(worst(['ok', 'warn'])).toBe('warn');
    expect(worst(['warn', 'fail', 'ok'])).toBe('fail');
    expect(worst([])).toBe('ok');
  });
});

describe('an invalid configuration', () => {
  it('is one FAIL line with its problems, and no other check runs', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'smokestack-doctor-')), 'smokestack.yml');
    writeFileSync(file, 'environments:\n  dev-cloud:\n    kind: cloud\n    hots: x\n');
    const out: string[] = [];
    expect(await runDoctor(file, (line) => out.push(line))).toBe(1);
    expect(out[0]).toBe(renderLine(fail('config', `${file} is invalid (npx smokestack config shows the same):`)));
    expect(out).toContain('        - environments.dev-cloud.hots: unknown field (a typo?)');
    expect(out.filter((l) => /^(ok|warn|FAIL) /.test(l))).toHaveLength(1);
  });
});

describe('approvers', () => {
  it('lists each approver\'s key fingerprints, and warns about an approver without a key', async () => {
    const { execFileSync } = await import('node:child_process');
    const { checkApprovers } = await import('../../src/doctor/approvers-check.ts');
    const dir = mkdtempSync(join(tmpdir(), 'smokestack-doctor-approvers-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'bob')]);
    const key = readFileSync(join(dir, 'bob.pub'), 'utf8').trim();
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'bob.pub')]).toString().split(' ')[1];
    const lines = await checkApprovers({ approvers: [{ name: 'bob', key }, 'carol'] } as never);
    expect(lines).toEqual([
      ok('approver bob', `1 key(s): ${fingerprint}`),
      warn('approver carol', 'no SSH key: every answer signed as this approver is refused; add key: to promotion.approvers, or a line to the allowed signers file'),
    ]);
    expect((await checkApprovers({ approvers: ['bob'], allowedSignersFile: join(dir, 'absent') } as never))[0]).toMatchObject({ status: 'fail', name: 'approvers' });
  });
});
