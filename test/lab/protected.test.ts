// Production changes only through a promotion or an approver's signed
// request, whoever starts the run: here a bare Temporal client, not the CLI,
// tries the side doors. Every refusal leaves the hosts byte for byte as they
// were (hostSnapshot); the one signed request that holds deploys exactly what
// it names, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { runCli } from '../support/cli.ts';
import { CLOUD_APPS, expectAppsRun, hostSnapshot, registryDigest, resetHost } from '../support/lab.ts';
import { deployInput, SIGN_AS_BOB, signedChange } from '../support/signing.ts';
import { startWorker, type TestWorker } from '../support/worker.ts';

let w: TestWorker;

beforeAll(async () => {
  resetHost('prod-cloud');
  w = await startWorker();
  // prod-cloud on v1, as production would be before a change; the Pi as it is.
  const first = await w.client.workflow.execute('deploy', { taskQueue: w.taskQueue, workflowId: 'deploy-prod-cloud', args: [await deployInput({ environment: 'prod-cloud', version: 'v1' })] });
  expect(first).toMatchObject({ outcome: 'succeeded' });
}, 300_000);
afterAll(async () => {
  await w?.stop();
});

const start = (type: string, workflowId: string, input: object) => w.client.workflow.start(type, { taskQueue: w.taskQueue, workflowId, args: [input] });

/** How a run ended: its failure's type and message (the innermost), or 'succeeded'. */
async function ending(handle: WorkflowHandle): Promise<{ type?: string; message: string; details?: any }> {
  try {
    const result = await handle.result();
    return { message: 'succeeded', details: result };
  } catch (err) {
    let cause = (err as WorkflowFailedError).cause as any;
    const details = cause?.details?.[0];
    while (cause?.cause) cause = cause.cause;
    return { type: (details?.failureType as string | undefined) ?? (err as WorkflowFailedError).cause?.['type' as never], message: String(cause?.message ?? err), details };
  }
}

const handMadeImages = async (version: string) =>
  Promise.all(
    Object.entries(CLOUD_APPS).map(async ([service, repository]) => ({
      service,
      image: `${repository}:${version}`,
      digest: `${repository}@${await registryDigest(repository, version)}`,
      imageId: '',
    })),
  );

describe('a bare Temporal client cannot change production', () => {
  it('refuses hand-made images on prod-cloud, any deploy of the Pi, a restore and a migration, with the hosts unchanged', async () => {
    const prod = hostSnapshot('prod-cloud');
    const pi = hostSnapshot('smoker');
    const refusals = [
      await ending(await start('deploy', 'deploy-prod-cloud', { environment: 'prod-cloud', version: 'v2', images: await handMadeImages('v2') })),
      await ending(await start('deploy', 'deploy-smoker', { environment: 'smoker', version: 'v2' })),
      await ending(await start('restore', 'database-prod-cloud', { environment: 'prod-cloud', backupId: '2026-01-01T00-00-00Z' })),
      await ending(await start('migrate', 'migrate-smokecloud', { from: 'smokecloud', to: 'prod-cloud' })),
    ];
    for (const r of refusals) {
      expect(r.message).toMatch(/refused: (prod-cloud|smoker) is protected: it changes through `smokestack promote`, or with an approver's signed request/);
    }
    expect(refusals[0]!.details).toMatchObject({ failureType: 'Unauthorized', outcome: 'failed' });
    expect(refusals[1]!.details).toMatchObject({ failureType: 'Unauthorized' });
    expect(hostSnapshot('prod-cloud')).toBe(prod);
    expect(hostSnapshot('smoker')).toBe(pi);
    await expectAppsRun('prod-cloud', 'v1');
  }, 240_000);
});

describe('a signed request', () => {
  it('is refused when it is not an approver\'s, is for another change, or is expired; nothing changes', async () => {
    const before = hostSnapshot('prod-cloud');
    const tries = [
      ['mallory is not an approver', await signedChange({ action: 'deploy', environment: 'prod-cloud', version: 'v2' }, 'mallory')],
      ['not signed by bob', await signedChange({ action: 'deploy', environment: 'prod-cloud', version: 'v2' }, 'mallory', (s) => (s.signer = 'bob'))],
      ['signed for version v1, not v2', await signedChange({ action: 'deploy', environment: 'prod-cloud', version: 'v1' })],
      ['signed for smoker, not prod-cloud', await signedChange({ action: 'deploy', environment: 'smoker', version: 'v2' })],
      ['signed for a restore, not a deploy', await signedChange({ action: 'restore', environment: 'prod-cloud', backupId: 'x' })],
      ['expired', await signedChange({ action: 'deploy', environment: 'prod-cloud', version: 'v2' }, 'bob', (s) => (s.at = new Date(Date.now() - 16 * 60_000).toISOString()))],
    ] as const;
    for (const [why, authorization] of tries) {
      const r = await ending(await start('deploy', 'deploy-prod-cloud', { environment: 'prod-cloud', version: 'v2', authorization }));
      expect(r.details?.failureType, why).toBe('Unauthorized');
      expect(r.message, why).toContain(why);
    }
    expect(hostSnapshot('prod-cloud')).toBe(before);
  }, 240_000);

  it('deploys exactly what it names, records who signed it, and is refused as a replay the second time', async () => {
    const authorization = await signedChange({ action: 'deploy', environment: 'prod-cloud', version: 'v2' });
    const deployed = await ending(await start('deploy', 'deploy-prod-cloud', { environment: 'prod-cloud', version: 'v2', authorization }));
    expect(deployed.message, JSON.stringify(deployed.details?.steps)).toBe('succeeded');
    expect(deployed.details.authority).toMatchObject({ via: 'signed request', signer: 'bob', fingerprint: expect.stringMatching(/^SHA256:/), signed: authorization });
    await expectAppsRun('prod-cloud', 'v2');

    const before = hostSnapshot('prod-cloud');
    const again = await ending(await start('deploy', 'deploy-prod-cloud', { environment: 'prod-cloud', version: 'v2', authorization }));
    expect(again.details?.failureType).toBe('Unauthorized');
    expect(again.message).toMatch(/replayed: this signed request was used already, by deploy-prod-cloud\//);
    expect(hostSnapshot('prod-cloud')).toBe(before);

    // The CLI asks for the signature before it starts anything; `audit` checks the one that was used.
    const env = { TEMPORAL_ADDRESS: w.address, SMOKESTACK_TASK_QUEUE: w.taskQueue };
    const unsigned = await runCli(['deploy', 'prod-cloud', '--version', 'v1', '--wait'], env);
    expect(unsigned.code).toBe(2);
    expect(unsigned.stderr).toContain('prod-cloud is protected: it changes through `smokestack promote`');
    const audit = await runCli(['audit', 'v2'], env);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
    expect(audit.stdout).toMatch(/deploy of v2 to prod-cloud \(run \S+, succeeded\), outside a promotion:\n  requested by bob, signed \S+ by bob with key SHA256:\S+: "a lab test changes it directly" \(signature good\)/);
    // Signed through the CLI, it goes ahead.
    const signed = await runCli(['deploy', 'prod-cloud', '--version', 'v1', '--wait', ...SIGN_AS_BOB], env);
    expect(signed.code, signed.stdout + signed.stderr).toBe(0);
    await expectAppsRun('prod-cloud', 'v1');
  }, 300_000);
});
