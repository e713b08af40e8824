// Every activity heartbeats while it runs (src/activities/keep-alive.ts):
// where a heartbeat timeout is set, from its start, every 2 s, never
// replacing the details the activity itself gave or its previous attempt left.
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.ts';
import { beat, keptAlive } from '../../src/activities/keep-alive.ts';

/** Runs the activity in a mock context and returns every heartbeat's details, in order. */
async function beatsOf(activity: () => Promise<unknown>, info: ConstructorParameters<typeof MockActivityEnvironment>[0]): Promise<unknown[]> {
  const env = new MockActivityEnvironment(info);
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  await env.run(keptAlive(activity));
  return beats;
}

const WITH_TIMEOUT = { heartbeatTimeoutMs: 20_000 };

describe('keptAlive', () => {
  it('beats at the start and every 2 s while the activity runs', async () => {
    const beats = await beatsOf(() => sleep(4300), WITH_TIMEOUT);
    expect(beats.length).toBeGreaterThanOrEqual(3);
  });

  it('keeps the details the activity gave: a keep-alive beat never replaces them', async () => {
    const beats = await beatsOf(async () => {
      beat(Context.current(), { deadline: 42 });
      await sleep(2300);
    }, WITH_TIMEOUT);
    expect(beats[0]).toBeUndefined(); // the start, before the activity said anything
    expect(beats.slice(1)).not.toHaveLength(0);
    expect(beats.slice(1).every((d) => (d as { deadline?: number })?.deadline === 42)).toBe(true);
  });

  it("keeps a previous attempt's details until the activity gives its own", async () => {
    const beats = await beatsOf(() => sleep(100), { ...WITH_TIMEOUT, heartbeatDetails: { deadline: 7 } });
    expect(beats).toEqual([{ deadline: 7 }]);
  });

  it('does not beat where no heartbeat timeout is set, nor in a local activity', async () => {
    expect(await beatsOf(() => sleep(2300), { heartbeatTimeoutMs: undefined })).toEqual([]);
    expect(await beatsOf(() => sleep(2300), { ...WITH_TIMEOUT, isLocal: true })).toEqual([]);
  });

  it('wraps every activity the worker registers', async () => {
    const env = new MockActivityEnvironment(WITH_TIMEOUT);
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    // An activity that fails at once on bad input still beat as it started.
    await expect(env.run(createActivities({ configFile: '/nonexistent/smokestack.yml' }).planBackup, { environment: 'nowhere' })).rejects.toThrow();
    expect(beats).toHaveLength(1);
  });
});
