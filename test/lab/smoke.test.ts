// The smoke test after a deploy, on the lab: the app as a browser reaches
// it, asked from the worker through SSH to the host's loopback. A deploy to
// dev-cloud and to the virtual smoker reports every check passed, in its
// result and on Discord; a deploy whose API stops answering right after its
// health gate still ends deployed, with the failed check named in both, and
// nothing undone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityInboundCallsInterceptor } from '@temporalio/worker';
import type { DeployResult, SmokeTestResult } from '../../src/workflows/types.ts';
import { labDiscordMessages, onHost, registryDigest, resetHost, runningDigests, type LabHost } from '../support/lab.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

/** What the lab's Discord stand-in records of each message: its embed's title, link and fields. */
interface Told {
  title: string;
  url?: string;
  fields?: { name: string; value: string }[];
}

let w: TestWorker;
/** The test's hand right after a health gate passes, before the smoke test. */
let afterHealthGate: () => void = () => undefined;

beforeAll(async () => {
  resetHost('dev-cloud');
  resetHost('virtual-smoker');
  w = await startWorker(undefined, undefined, {
    activityInbound: [
      (ctx): ActivityInboundCallsInterceptor => ({
        async execute(input, next) {
          const result = await next(input);
          if (ctx.info.activityType === 'healthGate') afterHealthGate();
          return result;
        },
      }),
    ],
  });
});
afterAll(async () => {
  afterHealthGate = () => undefined;
  onHost('dev-cloud', 'docker start backend_cloud >/dev/null 2>&1; true');
  await w?.stop();
});

async function deploy(environment: LabHost, version: string): Promise<{ result: DeployResult; told: Told[] }> {
  const handle = await w.client.workflow.start('deploy', { taskQueue: w.taskQueue, workflowId: `deploy-${environment}`, args: [{ environment, version }] });
  const result = (await handle.result()) as DeployResult;
  const told = (await labDiscordMessages((m) => m.url?.includes(`/workflows/deploy-${environment}/${handle.firstExecutionRunId}/`) ?? false)) as Told[];
  return { result, told };
}

const smokeStep = (r: DeployResult) => r.steps.find((s) => s.name === 'smoke test')!;
const smokeField = (told: Told[]) => told.at(-1)?.fields?.find((f) => f.name === 'Smoke test')?.value;
const byName = (checks: SmokeTestResult[] | undefined) => Object.fromEntries((checks ?? []).map((c) => [c.name, c]));

describe('smoke test after a deploy', () => {
  it('dev-cloud: the frontend page and the API through the frontend answer, reported in the result and on Discord', async () => {
    const { result, told } = await deploy('dev-cloud', 'v1');
    expect(result.outcome).toBe('succeeded');
    const checks = byName(result.smoke);
    expect(Object.keys(checks)).toEqual(['frontend page', 'api through frontend']);
    expect(checks['frontend page']).toEqual({ name: 'frontend page', passed: true, detail: 'GET :80/ answered 200 (text/html), "<title>Smart Smoker</title>" found' });
    // The answer came from the backend, through the frontend's proxy: it names itself, and reached its database.
    expect(checks['api through frontend']).toEqual({ name: 'api through frontend', passed: true, detail: 'GET :80/api/ready answered 200 (application/json), "\\"service\\":\\"backend\\"" found' });
    expect(smokeStep(result)).toMatchObject({ state: 'succeeded', detail: '2 of 2 passed' });
    // After the health gate, before the prune.
    const at = (name: string) => result.steps.find((s) => s.name === name)!;
    expect(smokeStep(result).startedAt!).toBeGreaterThanOrEqual(at('health gate').endedAt!);
    expect(at('prune').startedAt!).toBeGreaterThanOrEqual(smokeStep(result).endedAt!);

    expect(told.map((m) => m.title)).toEqual(['🚀 dev-cloud: deploying v1', '✅ dev-cloud: v1 deployed']);
    expect(smokeField(told)).toBe(`✅ frontend page: ${checks['frontend page']!.detail}\n✅ api through frontend: ${checks['api through frontend']!.detail}`);
  });

  it('dev-cloud: an API that stops answering after the health gate fails its check, and the deploy still ends deployed, nothing undone', async () => {
    // The backend goes down between the health gate and the smoke test: the frontend's proxy answers 502.
    afterHealthGate = () => {
      afterHealthGate = () => undefined;
      onHost('dev-cloud', 'docker stop backend_cloud >/dev/null');
    };
    try {
      const { result, told } = await deploy('dev-cloud', 'v2');
      expect(result.outcome).toBe('succeeded');
      expect(result.error).toBeUndefined();
      const checks = byName(result.smoke);
      expect(checks['frontend page']!.passed).toBe(true);
      expect(checks['api through frontend']).toMatchObject({ passed: false });
      expect(checks['api through frontend']!.detail).toMatch(/^GET :80\/api\/ready answered 502 \(text\/html\), not 200: .*502 Bad Gateway/);
      expect(smokeStep(result).state).toBe('failed');
      expect(smokeStep(result).detail).toContain('1 of 2 FAILED (the deploy stands): api through frontend (GET :80/api/ready answered 502');

      // Nothing undone: no restore ran, v2 is what the host runs (by the registry's digest), and the prune ran.
      expect(result.steps.filter((s) => s.name.includes('previous version'))).toEqual([]);
      expect(result.steps.find((s) => s.name === 'prune')!.state).toBe('succeeded');
      const frontend = await registryDigest('benjr70/smart-smoker-frontend', 'v2');
      expect(runningDigests('dev-cloud', ['frontend_cloud']).frontend_cloud).toContain(`benjr70/smart-smoker-frontend@${frontend}`);
      expect(onHost('dev-cloud', "docker inspect --format '{{.Config.Image}}' backend_cloud").trim()).toMatch(/smart-smoker-backend@sha256:|smart-smoker-backend:v2/);

      expect(told.map((m) => m.title)).toEqual(['🚀 dev-cloud: deploying v2', '⚠️ dev-cloud: v2 deployed, smoke test FAILED']);
      expect(smokeField(told)).toContain(`⚠️ api through frontend: ${checks['api through frontend']!.detail.slice(0, 60)}`);
      expect(smokeField(told)).toContain('✅ frontend page: GET :80/ answered 200');
    } finally {
      onHost('dev-cloud', 'docker start backend_cloud >/dev/null');
    }
  });

  it('virtual smoker: the device service is healthy and the smoker UI loads', async () => {
    const { result, told } = await deploy('virtual-smoker', 'v1');
    expect(result.outcome).toBe('succeeded');
    expect(result.smoke).toEqual([
      { name: 'device service', passed: true, detail: 'GET :3003/api/health answered 200 (application/json), "\\"service\\":\\"device-service\\"" found' },
      { name: 'smoker ui', passed: true, detail: 'GET :8080/ answered 200 (text/html), "<title>Smart Smoker</title>" found' },
    ]);
    expect(smokeStep(result)).toMatchObject({ state: 'succeeded', detail: '2 of 2 passed' });
    expect(told.map((m) => m.title)).toEqual(['🚀 virtual-smoker: deploying v1', '✅ virtual-smoker: v1 deployed']);
    expect(smokeField(told)).toMatch(/^✅ device service: .*\n✅ smoker ui: /);
  });
});
