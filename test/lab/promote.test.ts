// Promotion to production on the lab: dev-cloud and the virtual smoker run
// v2, prod-cloud and the Pi (smoker) run v1. A promotion makes dev's exact
// digests the release, waits for a person, then updates prod-cloud and the
// Pi. Outcomes are read from the registry, the hosts' Docker engines, the
// workflow's history and the Discord recorder, not from the workflow's word.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject } from 'vitest';
import { Client, Connection, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { parse, stringify } from 'yaml';
import { approveSignal, approveUpdate, PROMOTION_WORKFLOW_ID, promotionProgressQuery, rejectUpdate } from '../../src/workflows/definitions.ts';
import type { PromotionProgress, PromotionResult } from '../../src/workflows/types.ts';
import { runCli } from '../support/cli.ts';
import { recordWorkerNotices, type DiscordRecorder } from '../support/discord-recorder.ts';
import { CLOUD_APPS, hostContainer, onHost, registryDigest, runningDigests, type LabHost } from '../support/lab.ts';
import { LAB_REGISTRY } from '../support/paths.ts';
import { copyTag } from '../support/registry.ts';
import { approverKey, deployInput, signedAnswer } from '../support/signing.ts';
import { spawnWorker, type WorkerProcess } from '../support/worker-process.ts';
import { LAB_CONFIG } from '../support/worker.ts';

const EventType = temporal.api.enums.v1.EventType;
const address = inject('temporalAddress');
const taskQueue = `test-${randomUUID()}`;
const DEVICE_APPS = { device_service: 'benjr70/smart-smoker-device-service', frontend_smoker: 'benjr70/smart-smoker-smoker' };
const PI_APPS = { ...DEVICE_APPS, electron_shell: 'benjr70/smart-smoker-electron-shell' };
const REPOS = [...Object.values(CLOUD_APPS), ...Object.values(PI_APPS)];

let client: Client;
let discord: DiscordRecorder;
let worker: WorkerProcess;
const workers: WorkerProcess[] = [];
const configFile = join(mkdtempSync(join(tmpdir(), 'smokestack-promote-')), 'smokestack.yml');
const wrongPassword = join(resolve(configFile, '..'), 'wrong-password');

/** The lab's config with short waits, rewritten in place: the worker reads it at each promotion's start. */
function writeConfig(edit: (config: any) => void = () => undefined): void {
  const config = parse(readFileSync(LAB_CONFIG, 'utf8'));
  for (const env of Object.values<any>(config.environments)) {
    env.composeFile = resolve(LAB_CONFIG, '..', env.composeFile);
    env.extraFiles = (env.extraFiles ?? []).map((f: string) => resolve(LAB_CONFIG, '..', f));
    env.readableExtraFiles = (env.readableExtraFiles ?? []).map((f: string) => resolve(LAB_CONFIG, '..', f));
  }
  config.promotion.approvers = ['bob', 'carol'];
  config.promotion.deviceWait = { limitSeconds: 3600, probeMaxSeconds: 4 };
  edit(config);
  writeFileSync(configFile, stringify(config));
}

const startWorker = async () => {
  const w = await spawnWorker({ address, taskQueue, config: configFile });
  workers.push(w);
  return w;
};

const cliEnv = { TEMPORAL_ADDRESS: address, SMOKESTACK_TASK_QUEUE: taskQueue };

const release = () => `v9.${Date.now().toString(36)}`;

async function deploy(environment: string, version: string): Promise<void> {
  const handle = await client.workflow.start('deploy', { taskQueue, workflowId: `deploy-${environment}`, args: [await deployInput({ environment, version })] });
  await handle.result();
}

/** Dev on v2, production on v1: the stage every promotion starts from. */
async function stage(which: string[] = ['dev-cloud', 'virtual-smoker', 'prod-cloud', 'smoker']): Promise<void> {
  await Promise.all(which.map((env) => deploy(env, ['dev-cloud', 'virtual-smoker'].includes(env) ? 'v2' : 'v1')));
}

async function startPromotion(rel: string, requestedBy = 'carol'): Promise<WorkflowHandle> {
  return client.workflow.start('promote', { taskQueue, workflowId: PROMOTION_WORKFLOW_ID, args: [{ release: rel, requestedBy }] });
}

async function waitFor(handle: WorkflowHandle, ok: (p: PromotionProgress) => boolean, what: string, timeoutMs = 120_000): Promise<PromotionProgress> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await handle.query(promotionProgressQuery).catch(() => undefined);
    if (p && ok(p)) return p;
    if (Date.now() > deadline) throw new Error(`promotion never reached: ${what}; last: ${JSON.stringify(p?.steps)}`);
    await sleep(250);
  }
}

const waitingForApproval = (h: WorkflowHandle) => waitFor(h, (p) => p.waitingSince !== undefined, 'waiting for approval');

/** Where `tag` points in each release repository (null: absent), read from the registry over HTTP. */
async function tags(tag: string): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const repo of REPOS) out[repo] = await registryDigest(repo, tag).catch(() => null);
  return out;
}

/** A host's containers: name, ID and image. A recreated container has a new ID. */
const containers = (host: LabHost) => onHost(host, "docker ps -a --format '{{.Names}} {{.ID}} {{.Image}}' | sort");

/** What production runs: container IDs and digests on prod-cloud and the Pi. */
function production(): string {
  return [containers('prod-cloud'), JSON.stringify(runningDigests('prod-cloud', Object.keys(CLOUD_APPS))), containers('smoker')].join('\n');
}

async function snapshot() {
  return { latest: await tags('latest'), production: production() };
}

/** The digest each app container runs, by repository. */
function digestsOn(host: LabHost, apps: Record<string, string>): Record<string, string> {
  const running = runningDigests(host, Object.keys(apps));
  return Object.fromEntries(Object.entries(apps).map(([c, repo]) => [repo, running[c]!.find((d) => d.startsWith(`${repo}@`))!.split('@')[1]!]));
}

/** The titles of the notices Discord got. */
const titles = () => discord.calls.map((c) => String(c.body?.embeds?.[0]?.title ?? ''));

/** The promotion's own notices about `rel` (its deploys' notices name their environments). */
const promotionTitles = (rel: string) => titles().filter((t) => t.includes('production:') && t.includes(rel));

/** Notices are delivered beside a run, not by it: waits until one whose title includes `text` arrived. */
async function noticeTitled(text: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!titles().some((t) => t.includes(text))) {
    if (Date.now() > deadline) throw new Error(`no notice "${text}"; got: ${titles().join(' | ')}`);
    await sleep(200);
  }
}

async function historyEvents(handle: WorkflowHandle) {
  return (await handle.fetchHistory()).events ?? [];
}

beforeAll(async () => {
  writeFileSync(wrongPassword, 'not-the-app-password\n');
  writeConfig();
  discord = await recordWorkerNotices();
  worker = await startWorker();
  client = new Client({ connection: await Connection.connect({ address }) });
  await stage();
}, 300_000);

// A test that fails mid-promotion must not leave it running for the next (one promotion at a time).
afterEach(async () => {
  const running = client.workflow.getHandle(PROMOTION_WORKFLOW_ID);
  if ((await running.describe().catch(() => undefined))?.status.name === 'RUNNING') await running.terminate('test cleanup');
});

afterAll(async () => {
  // A failed test must not leave the Pi paused for the next file.
  execFileSync('bash', ['-c', `docker unpause ${hostContainer('smoker')} 2>/dev/null; true`]);
  for (const w of workers) await w.kill('SIGKILL');
  await client?.connection.close();
  await discord?.stop();
});

describe('promote', () => {
  it('refuses every answer that is not an approver\'s own signature for this run, and a signed rejection changes nothing', async () => {
    const before = await snapshot();
    const rel = release();
    const handle = await startPromotion(rel, 'carol');
    await waitingForApproval(handle);
    // One promotion at a time: a second is refused, naming the running one.
    const second = await runCli(['promote', `${rel}-b`, '--config', configFile], cliEnv);
    expect(second.stdout).toContain(`refused: a promotion is already running: ${rel} (waiting for approval), requested by carol`);
    expect(second.code).toBe(3);

    const outcomeOf = async (update: typeof approveUpdate, given: unknown) =>
      handle.executeUpdate(update, { args: [given] }).then(
        (outcome) => (outcome.accepted ? 'accepted' : `refused after the check: ${outcome.why}`),
        (err) => (err instanceof WorkflowUpdateFailedError ? err.cause?.message : String(err)),
      );
    const earlier = new Date(Date.now() - 20 * 60_000).toISOString();
    for (const [update, decision] of [[approveUpdate, 'approve'], [rejectUpdate, 'reject']] as const) {
      // Refused by the validator: nothing enters history.
      expect(await outcomeOf(update, { by: 'bob', reason: 'looks fine' })).toMatch(/^unsigned: an answer needs a statement and its SSH signature/);
      expect(await outcomeOf(update, { by: 1, reason: 'x' })).toMatch(/^unsigned/);
      expect(await outcomeOf(update, await signedAnswer(client, decision, 'mallory'))).toBe('mallory is not an approver (approvers: bob, carol)');
      expect(await outcomeOf(update, await signedAnswer(client, decision, 'bob', (s) => (s.release = 'v0.0.1')))).toBe(`signed for release v0.0.1, not ${rel}`);
      expect(await outcomeOf(update, await signedAnswer(client, decision, 'bob', (s) => (s.runId = 'an-earlier-run')))).toMatch(/^signed for another run \(an-earlier-run\)/);
      expect(await outcomeOf(update, await signedAnswer(client, decision, 'bob', (s) => s.digests.pop()))).toMatch(/^signed for another set of images/);
      expect(await outcomeOf(update, await signedAnswer(client, decision, 'bob', (s) => (s.at = earlier)))).toMatch(/^expired: signed \d+s ago/);
      // Accepted into history, then refused by the worker's check of the key: mallory's key, bob's name.
      expect(await outcomeOf(update, await signedAnswer(client, decision, 'bob', undefined, 'mallory'))).toMatch(/^refused after the check: not signed by bob/);
    }
    // The requester may not approve, in any spelling.
    for (const signer of ['carol', 'CAROL', ' Carol ']) {
      expect(await outcomeOf(approveUpdate, await signedAnswer(client, 'approve', signer, undefined, 'carol'))).toBe(`${signer} requested this release and may not approve it: another approver must`);
    }
    // The same through the CLI: exit 2 and the reason.
    const cli = await runCli(['approve', rel, '--as', 'mallory', '--key', approverKey('mallory'), '--reason', 'x', '--config', configFile], cliEnv);
    expect(cli.stdout).toContain('refused: mallory is not an approver');
    expect(cli.code).toBe(2);
    // A signal cannot be refused before history: it is recorded as refused and changes nothing.
    await handle.signal(approveSignal, { by: 'mallory', reason: 'sneaky' });
    await handle.signal(approveSignal, await signedAnswer(client, 'approve', 'bob', undefined, 'mallory'));
    await handle.signal(approveSignal, 'approve');
    const p = await waitFor(handle, (q) => q.refused.filter((r) => r.via === 'signal').length === 3, 'the refused signals recorded');
    // Recorded as each is judged: the signed one after the worker's check, so in any order.
    expect(p.refused.filter((r) => r.via === 'signal').map((r) => [r.by, r.why.split(':')[0]]).sort()).toEqual([
      ['', 'an answer is { statement, signature }, signed with `smokestack approve|reject RELEASE --reason …` (add --print-signal for the Web UI)'],
      ['', 'unsigned'],
      ['bob', 'not signed by bob'],
    ]);
    expect(p.decision).toBeUndefined();

    // bob rejects through the CLI, with his own key.
    const rejected = await runCli(['reject', rel, '--as', 'bob', '--key', approverKey('bob'), '--reason', 'not this week', '--config', configFile], cliEnv);
    expect(rejected.stdout, rejected.stderr).toMatch(new RegExp(`${rel.replace('.', '\\.')} rejected by bob \\(SHA256:`));
    expect(rejected.code).toBe(0);
    const result = (await handle.result()) as PromotionResult;
    expect(result.outcome).toBe('rejected');
    expect(result.decision).toMatchObject({ decision: 'rejected', by: 'bob', via: 'update', reason: 'not this week', fingerprint: expect.stringMatching(/^SHA256:/) });
    expect(result.decision?.signed?.statement).toContain(`"runId":"${(await handle.describe()).runId}"`);

    const events = await historyEvents(handle);
    const updates = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED);
    // Only the two answers signed by mallory's key as bob, and bob's own rejection, passed the validator.
    expect(updates).toHaveLength(3);
    expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED)).toHaveLength(0);
    expect(events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).toHaveLength(3);
    expect(events.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)).toBe(false);

    expect(await snapshot()).toEqual(before);
    expect(await tags(rel)).toEqual(Object.fromEntries(REPOS.map((r) => [r, null])));
    await noticeTitled(`${rel} rejected by bob`);
    const about = promotionTitles(rel);
    expect(about).toEqual([`🔐 production: approval needed for ${rel}`, `🛑 production: ${rel} rejected by bob`]);
  }, 240_000);

  it('refuses an answer replayed from an earlier promotion, and a promotion nobody requested', async () => {
    const first = await startPromotion(release());
    await waitingForApproval(first);
    const earlier = await signedAnswer(client, 'reject', 'bob');
    await first.executeUpdate(rejectUpdate, { args: [earlier] });
    expect(((await first.result()) as PromotionResult).outcome).toBe('rejected');

    const before = await snapshot();
    const second = await startPromotion(release());
    await waitingForApproval(second);
    const replayed = await second.executeUpdate(rejectUpdate, { args: [earlier] }).then(
      () => 'accepted',
      (err) => (err as WorkflowUpdateFailedError).cause?.message,
    );
    expect(replayed).toMatch(/^signed for (release|another run)/);
    expect((await second.query(promotionProgressQuery)).decision).toBeUndefined();
    await second.terminate('test done');
    expect(await snapshot()).toEqual(before);

    const nobody = await startPromotion(release(), '  ');
    const failed = await nobody.result().then(
      () => undefined,
      (err) => err.cause?.details?.[0] as PromotionResult | undefined,
    );
    expect(failed?.failureType).toBe('InvalidInput');
    expect(failed?.error).toContain('a promotion needs a requester');
  }, 180_000);

  it('expires when nobody answers, after reminding, with nothing changed', async () => {
    writeConfig((c) => Object.assign(c.promotion, { approvalTimeoutSeconds: 9, reminderSeconds: 5 }));
    try {
      const before = await snapshot();
      const rel = release();
      const handle = await startPromotion(rel);
      const result = (await handle.result()) as PromotionResult;
      expect(result.outcome).toBe('expired');
      expect(result.steps.find((s) => s.name === 'release tags')?.state).toBe('skipped');
      expect(await snapshot()).toEqual(before);
      await noticeTitled(`approval of ${rel} expired`);
      expect(promotionTitles(rel)).toEqual([
        `🔐 production: approval needed for ${rel}`,
        `⏰ production: ${rel} still waits for approval`,
        `⌛ production: approval of ${rel} expired`,
      ]);
    } finally {
      writeConfig();
    }
  }, 120_000);

  it('refuses a release tag that exists on other images before anything changes', async () => {
    const rel = release();
    const backend = 'benjr70/smart-smoker-backend';
    const v1 = await fetch(`${LAB_REGISTRY}/v2/${backend}/manifests/v1`, { headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    await fetch(`${LAB_REGISTRY}/v2/${backend}/manifests/${rel}`, {
      method: 'PUT',
      headers: { 'content-type': v1.headers.get('content-type')! },
      body: new Uint8Array(await v1.arrayBuffer()),
    });
    const before = await snapshot();
    const handle = await startPromotion(rel);
    const failed = await handle.result().then(
      () => undefined,
      (err) => err.cause?.details?.[0] as PromotionResult,
    );
    expect(failed?.failureType).toBe('ReleaseTagTaken');
    expect(failed?.steps.find((s) => s.name === 'approval')?.state).toBe('skipped');
    expect(await snapshot()).toEqual(before);
    expect((await tags(rel))[backend]).toBe(await registryDigest(backend, 'v1'));
  }, 120_000);

  it('approved by the Web UI\'s signal, pasted from --print-signal: prod-cloud and the Pi run exactly dev\'s digests, tagged and funnelled', async () => {
    const rel = release();
    // Started as CI starts it: the CLI prints how to answer, and returns.
    const started = await runCli(['promote', rel, '--requested-by', 'carol', '--config', configFile], cliEnv);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(`approve: npx smokestack approve ${rel} --reason "…"`);
    expect(started.stdout).toMatch(/Web UI: http:\/\/localhost:8233\/namespaces\/default\/workflows\/promote-production\/\S+\/history/);
    const handle = client.workflow.getHandle(PROMOTION_WORKFLOW_ID);
    await waitingForApproval(handle);
    const printed = await runCli(['approve', rel, '--as', 'bob', '--key', approverKey('bob'), '--reason', 'tested on dev', '--print-signal', '--config', configFile], cliEnv);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain('paste into the Web UI\'s "Send a Signal" (signal name: approve)');
    // Nothing was sent: the CLI only printed it.
    expect((await handle.query(promotionProgressQuery)).decision).toBeUndefined();
    const pasted = JSON.parse(printed.stdout.trim().split('\n').pop()!);
    await handle.signal(approveSignal, pasted);
    const result = (await handle.result()) as PromotionResult;
    expect(result.outcome, JSON.stringify(result.steps)).toBe('released');
    expect(result.decision).toMatchObject({ decision: 'approved', by: 'bob', via: 'signal', signed: pasted });

    const dev = { ...digestsOn('dev-cloud', CLOUD_APPS), ...digestsOn('virtual-smoker', DEVICE_APPS) };
    expect(digestsOn('prod-cloud', CLOUD_APPS)).toEqual(digestsOn('dev-cloud', CLOUD_APPS));
    expect(digestsOn('smoker', DEVICE_APPS)).toEqual(digestsOn('virtual-smoker', DEVICE_APPS));
    // The Pi's shell is not run on dev: it is v2's digest, as dev's tag names it.
    expect(digestsOn('smoker', { electron_shell: PI_APPS.electron_shell })[PI_APPS.electron_shell]).toBe(await registryDigest(PI_APPS.electron_shell, 'v2'));
    const released = await tags(rel);
    for (const [repo, digest] of Object.entries(dev)) expect(released[repo], repo).toBe(digest);
    expect(await tags('latest')).toEqual(released);

    expect(onHost('prod-cloud', 'tailscale funnel status')).toMatch(/https:\/\/prod-cloud\.\S+ \(Funnel on\)\n\|-- \/ proxy http:\/\/127\.0\.0\.1:80/);
    await noticeTitled(`promotion of ${rel} ended`);
    expect(promotionTitles(rel)).toEqual([
      `🔐 production: approval needed for ${rel}`,
      `👍 production: ${rel} approved by bob`,
      `✅ production: ${rel} released`,
      `🏁 production: promotion of ${rel} ended`,
    ]);
  }, 300_000);

  it('prod-cloud failing its gate rolls back by digest, moves latest back and leaves the Pi alone', async () => {
    await stage(['prod-cloud', 'smoker']);
    writeConfig((c) => {
      const prod = c.environments['prod-cloud'];
      prod.secrets.MONGO_APP_PASSWORD = { file: wrongPassword };
      prod.secrets.ENCODED_MONGO_APP_PASSWORD = { file: wrongPassword, encode: 'uri' };
      prod.health.timeoutSeconds = 20;
    });
    try {
      // latest on v1, so that a latest left on the release would show.
      for (const repo of REPOS) await copyTag(repo, 'v1', 'latest');
      const before = await snapshot();
      const prodBefore = digestsOn('prod-cloud', CLOUD_APPS);
      const piBefore = containers('smoker');
      const rel = release();
      const handle = await startPromotion(rel);
      await waitingForApproval(handle);
      expect(await handle.executeUpdate(approveUpdate, { args: [await signedAnswer(client, 'approve', 'bob')] })).toMatchObject({ accepted: true });
      const failed = await handle.result().then(
        () => undefined,
        (err) => err.cause?.details?.[0] as PromotionResult,
      );
      expect(failed?.outcome).toBe('rolled-back');
      expect(failed?.steps.find((s) => s.name === 'move latest back')?.state).toBe('succeeded');
      expect(failed?.devices).toEqual([{ device: 'smoker', state: 'pending' }]);
      // Dev is healthy on the same digests: the configuration, not the images, broke prod-cloud.
      expect(digestsOn('prod-cloud', CLOUD_APPS)).toEqual(prodBefore);
      expect((await snapshot()).latest).toEqual(before.latest);
      expect(before.latest['benjr70/smart-smoker-backend']).toBe(await registryDigest('benjr70/smart-smoker-backend', 'v1'));
      // The Pi was never touched: the very same containers.
      expect(containers('smoker')).toBe(piBefore);
    } finally {
      writeConfig();
    }
  }, 300_000);

  it('waits for an offline Pi across a worker restart, then updates it', async () => {
    await stage(['prod-cloud']);
    const rel = release();
    const handle = await startPromotion(rel);
    await waitingForApproval(handle);
    execFileSync('docker', ['pause', hostContainer('smoker')]);
    expect(await handle.executeUpdate(approveUpdate, { args: [await signedAnswer(client, 'approve', 'bob')] })).toMatchObject({ accepted: true });
    await waitFor(handle, (p) => p.devices[0]?.state === 'waiting', 'the Pi waited for', 180_000);
    await sleep(6000);
    const status = await runCli(['status', 'production', '--config', configFile], cliEnv);
    expect(status.stdout).toMatch(/device smoker: waiting since \S+ \(\d+ probes\)/);

    // The worker dies while the promotion waits; a new one carries on.
    await worker.kill('SIGKILL');
    worker = await startWorker();
    execFileSync('docker', ['unpause', hostContainer('smoker')]);
    const result = (await handle.result()) as PromotionResult;
    expect(result.outcome).toBe('released');
    expect(result.devices[0]).toMatchObject({ device: 'smoker', state: 'updated' });
    expect(result.devices[0]!.probes).toBeGreaterThan(1);
    expect(digestsOn('smoker', DEVICE_APPS)).toEqual(digestsOn('virtual-smoker', DEVICE_APPS));
  }, 400_000);

  it('rolling fleet of four: a broken smoker stops the rollout, and the smoker already updated stays healthy', async () => {
    await stage(['prod-cloud', 'smoker', 'smoker-2', 'smoker-3']);
    writeConfig((c) => {
      // The virtual smoker is the fleet's fourth smoker here, so dev is dev-cloud alone.
      c.promotion.from = ['dev-cloud'];
      c.promotion.devices = ['smoker', 'smoker-2', 'smoker-3', 'virtual-smoker'];
      c.promotion.rollout = { strategy: 'rolling', batchSize: 1, maxFailures: 0 };
      // smoker-2's card is full: its update is refused before anything changes.
      c.environments['smoker-2'].minFreeDiskMb = 100_000_000;
    });
    try {
      const untouched = { 'smoker-2': containers('smoker-2'), 'smoker-3': containers('smoker-3'), 'virtual-smoker': containers('virtual-smoker') };
      const rel = release();
      const handle = await startPromotion(rel);
      await waitingForApproval(handle);
      expect(await handle.executeUpdate(approveUpdate, { args: [await signedAnswer(client, 'approve', 'bob')] })).toMatchObject({ accepted: true });
      const result = (await handle.result()) as PromotionResult;
      expect(result.outcome).toBe('partly-released');
      expect(result.devices.map((d) => [d.device, d.state])).toEqual([
        ['smoker', 'updated'],
        ['smoker-2', 'failed'],
        ['smoker-3', 'skipped'],
        ['virtual-smoker', 'skipped'],
      ]);
      expect(result.devices[2]!.detail).toContain('rollout stopped: 1 device(s) failed, more than maxFailures 0');
      for (const [repo, digest] of Object.entries(digestsOn('smoker', PI_APPS))) expect(digest, repo).toBe(await registryDigest(repo, rel));
      expect(onHost('smoker', "docker inspect --format '{{.Name}} {{.State.Health.Status}}' device_service frontend_smoker")).toBe('/device_service healthy\n/frontend_smoker healthy\n');
      for (const [host, before] of Object.entries(untouched)) expect(containers(host as LabHost), host).toBe(before);
    } finally {
      writeConfig();
    }
  }, 400_000);
});
