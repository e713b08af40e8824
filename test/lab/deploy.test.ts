// The walking skeleton, end to end: the CLI starts a deploy workflow, the
// worker deploys over SSH to a lab host, and the host then runs exactly the
// images the registry serves for that version.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { DeployProgress, DeployResult } from '../../src/workflows/types.ts';
import { progressQuery } from '../../src/workflows/definitions.ts';
import { runCli } from '../support/cli.ts';
import { labConfigWith } from '../support/config.ts';
import { expectPrivateFiles, expectReadableFiles, labDiscordMessages, onHost, permissiveLoginUmask, registryDigest, resetHost, runningDigests } from '../support/lab.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

const REPOS: Record<string, [string, string]> = {
  backend: ['benjr70/smart-smoker-backend', 'backend_cloud'],
  frontend: ['benjr70/smart-smoker-frontend', 'frontend_cloud'],
  mongo: ['library/mongo', 'mongo'],
};

const DEPLOY_DIR = '/opt/smart-smoker-dev';

/** Private companions of the compose file (extraFiles): a folder with a nested one and an empty file, and a single file. */
function privateExtras(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'smokestack-extras-'));
  mkdirSync(join(dir, 'private-extra', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'private-extra', 'nested', 'token'), 'not for others\n', { mode: 0o644 });
  writeFileSync(join(dir, 'private-extra', 'empty'), '', { mode: 0o644 });
  writeFileSync(join(dir, 'private-extra.conf'), 'key=value\n', { mode: 0o644 });
  return [join(dir, 'private-extra'), join(dir, 'private-extra.conf')];
}

let w: TestWorker;
let undoUmask: (() => void) | undefined;
beforeAll(async () => {
  resetHost('dev-cloud');
  // The most careless host there is: whatever smokestack leaves to the session's umask would be 0666.
  undoUmask = await permissiveLoginUmask('dev-cloud');
  w = await startWorker(labConfigWith((c) => (c.environments['dev-cloud'].extraFiles = privateExtras())));
});
afterAll(async () => {
  onHost('dev-cloud', 'test -e /usr/libexec/docker/cli-plugins/docker-compose.off && mv /usr/libexec/docker/cli-plugins/docker-compose.off /usr/libexec/docker/cli-plugins/docker-compose; true');
  undoUmask?.();
  await w?.stop();
});

async function expectRunning(version: string, result: DeployResult) {
  for (const service of result.services) {
    const [repo, container] = REPOS[service.service]!;
    const tag = service.service === 'mongo' ? '7.0' : version;
    const digest = await registryDigest(repo, tag);
    const shortRepo = repo.replace(/^library\//, '');
    expect(service.digest, service.service).toBe(`${shortRepo}@${digest}`);
    expect(runningDigests('dev-cloud', [container])[container], container).toContain(`${shortRepo}@${digest}`);
  }
}

describe('deploy to dev-cloud', () => {
  it('the CLI deploys v1 and every service runs the registry digest of v1', async () => {
    const run = await runCli(['deploy', 'dev-cloud', '--version', 'v1', '--wait'], {
      TEMPORAL_ADDRESS: w.address,
      SMOKESTACK_TASK_QUEUE: w.taskQueue,
      GITHUB_ACTOR: 'alice',
    });
    expect(run.stderr).toBe('');
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/Web UI: http:\/\/localhost:8233\/namespaces\/default\/workflows\/deploy-dev-cloud\/[0-9a-f-]+\/history/);
    for (const step of ['plan', 'preflight', 'rollback point', 'database backup', 'upload stack', 'pull images', 'start stack', 'health gate']) {
      expect(run.stdout).toContain(`✓ ${step}`);
    }
    expect(run.stdout).toContain('succeeded: dev-cloud runs v1');

    const handle = w.client.workflow.getHandle('deploy-dev-cloud');
    const result = (await handle.result()) as DeployResult;
    expect(result.outcome).toBe('succeeded');
    expect(result.services.map((s) => s.service).sort()).toEqual(['backend', 'frontend', 'mongo']);
    await expectRunning('v1', result);

    // The stack answers for real: the backend reached the database with its own user.
    expect(JSON.parse(onHost('dev-cloud', 'curl -s http://127.0.0.1:3001/api/ready'))).toMatchObject({ status: 'ok', version: 'v1' });
    expect(onHost('dev-cloud', 'stat -c %a /opt/smart-smoker-dev/.env').trim()).toBe('600');
    const progress = await handle.query<DeployProgress>(progressQuery);
    const ran = progress.steps.filter((s) => s.state !== 'skipped');
    expect(ran.every((s) => s.state === 'succeeded' && s.endedAt! >= s.startedAt!)).toBe(true);
    // A cloud stack holds nothing during a deploy (only device stacks hold Watchtower).
    expect(progress.steps.filter((s) => s.state === 'skipped').map((s) => s.name)).toEqual(['hold services', 'release services']);

    // The lab's Discord stand-in was told, by the run's notifier, with a link to the run.
    const { runId } = await handle.describe();
    const told = await labDiscordMessages((m) => m.url?.includes(`/workflows/deploy-dev-cloud/${runId}/`) ?? false);
    expect(told.map((m) => m.title)).toEqual(['🚀 dev-cloud: deploying v1', '✅ dev-cloud: v1 deployed']);

    // The Web UI reads at a glance: the run says what it is, and so does each step.
    expect(await (await handle.describe()).staticSummary()).toBe('deploy v1 → dev-cloud, requested by alice');
    const summaries = ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
      const summary = e.activityTaskScheduledEventAttributes ? e.userMetadata?.summary?.data : undefined;
      return summary ? [JSON.parse(Buffer.from(summary).toString('utf8')) as string] : [];
    });
    expect(summaries).toEqual(expect.arrayContaining(['plan v1 → dev-cloud', 'pull the images of v1', 'compose up 3 services', expect.stringMatching(/^health gate (backend|frontend|mongo)/)]));
  });

  it('a host with only Compose v1 (docker-compose) deploys v2 the same way', async () => {
    onHost('dev-cloud', 'mv /usr/libexec/docker/cli-plugins/docker-compose /usr/libexec/docker/cli-plugins/docker-compose.off');
    const handle = await w.client.workflow.start('deploy', {
      taskQueue: w.taskQueue,
      workflowId: 'deploy-dev-cloud',
      args: [{ environment: 'dev-cloud', version: 'v2' }],
    });
    const result = (await handle.result()) as DeployResult;
    expect(result.steps.find((s) => s.name === 'preflight')?.detail).toContain('compose v1 1.29.2');
    // Every service is reported, runs v2's registry digest, and is pinned by it.
    expect(result.services.map((s) => s.service).sort()).toEqual(['backend', 'frontend', 'mongo']);
    await expectRunning('v2', result);
    const pins = parseYaml(onHost('dev-cloud', 'cat /opt/smart-smoker-dev/smokestack.pins.yml')) as { services: Record<string, { image: string }> };
    expect(Object.keys(pins.services).sort()).toEqual(['backend', 'frontend', 'mongo']);
    for (const service of result.services) {
      expect(pins.services[service.service]!.image, service.service).toBe(service.digest);
      expect(service.digest, service.service).toMatch(/@sha256:[0-9a-f]{64}$/);
    }
  });

  it('nothing the two deploys wrote is readable by others, on a host whose login umask is 000; only what mongo reads as uid 999 is', () => {
    const d = (path: string) => `${DEPLOY_DIR}/${path}`;
    const judged = expectPrivateFiles('dev-cloud', [
      d('cloud.docker-compose.yml'), d('.env'), d('smokestack.pins.yml'), d('.smokestack'), d('backups'), d('private-extra'), d('private-extra.conf'),
    ]);
    // Among them: v2's pre-deploy dump (a redirect on the host), its rollback point's copies, the uploaded folder's files.
    expect(judged).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\/backups\/pre-deploy\/[^/]+\.archive\.gz$/),
        expect.stringMatching(/\/\.smokestack\/rollback\/[^/]+\/\.env$/),
        expect.stringMatching(/\/\.smokestack\/rollback\/[^/]+\/cloud\.docker-compose\.yml$/),
        d('private-extra/nested/token'),
        d('private-extra/empty'),
      ]),
    );
    // The deploy directory too: the reset removed it, smokestack made it again.
    expect(onHost('dev-cloud', `stat -c %a ${DEPLOY_DIR}`).trim()).toBe('700');
    // readableExtraFiles: mounted into mongo, whose init scripts run as the image's own user.
    expect(expectReadableFiles('dev-cloud', [d('infra')])).toContain(d('infra/mongodb-init/01-create-app-user.sh'));
  });
});
