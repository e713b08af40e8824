// Discord notices: what each embed says, and what sendDiscord puts on the
// wire (against a local recorder, never the real Discord).
import { afterEach, describe, expect, it } from 'vitest';
import { noticeEmbed, sendDiscord, type DeployNotice } from '../../src/activities/notify/discord.ts';
import { startDiscordRecorder, type DiscordRecorder } from '../support/discord-recorder.ts';

const base: DeployNotice = {
  kind: 'started',
  environment: 'dev-cloud',
  version: 'v2',
  runUrl: 'http://temporal.local/namespaces/default/workflows/deploy-dev-cloud',
};

const field = (n: DeployNotice, name: string) => noticeEmbed(n).fields?.find((f) => f.name === name);

describe('noticeEmbed', () => {
  it('started', () => {
    const e = noticeEmbed({ ...base, requestedBy: 'ci' });
    expect(e.title).toBe('🚀 dev-cloud: deploying v2');
    expect(e.color).toBe(0x3498db);
    expect(e.url).toBe(base.runUrl);
    expect(e.fields).toEqual([
      { name: 'Environment', value: 'dev-cloud', inline: true },
      { name: 'Version', value: 'v2', inline: true },
      { name: 'Requested by', value: 'ci', inline: true },
    ]);
  });

  it('succeeded, with a formatted duration', () => {
    const n: DeployNotice = { ...base, kind: 'succeeded', durationSeconds: 83 };
    const e = noticeEmbed(n);
    expect(e.title).toBe('✅ dev-cloud: v2 deployed');
    expect(e.color).toBe(0x2ecc71);
    expect(field(n, 'Duration')?.value).toBe('1m 23s');
    expect(field({ ...n, durationSeconds: 7 }, 'Duration')?.value).toBe('7s');
    expect(field({ ...n, durationSeconds: 3723 }, 'Duration')?.value).toBe('1h 2m 3s');
  });

  it('rolled-back reads as a failure', () => {
    const n: DeployNotice = { ...base, kind: 'rolled-back', previousVersion: 'v1', failedService: 'backend_cloud', reason: 'health check timed out' };
    const e = noticeEmbed(n);
    expect(e.title).toBe('↩️ dev-cloud: deploy of v2 failed, rolled back to v1');
    expect(e.description).toMatch(/FAILED/);
    expect(e.color).toBe(0xe74c3c);
    expect(field(n, 'Failed service')?.value).toBe('backend_cloud');
    expect(field(n, 'Reason')?.value).toBe('health check timed out');
    expect(field(n, 'Previous version')?.value).toBe('v1');
  });

  it('rollback-failed is the loudest and asks for a person', () => {
    const e = noticeEmbed({ ...base, kind: 'rollback-failed', previousVersion: 'v1' });
    expect(e.title).toBe('🚨 dev-cloud: ROLLBACK FAILED');
    expect(e.color).toBe(0x992d22);
    expect(e.description).toMatch(/needs a person now/);
  });

  it('failed', () => {
    const e = noticeEmbed({ ...base, kind: 'failed', reason: 'image pull denied' });
    expect(e.title).toBe('❌ dev-cloud: deploy of v2 failed');
    expect(e.color).toBe(0xe74c3c);
  });

  it('keeps the end of a long log and fits the field limit', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i}: something happened`);
    const value = field({ ...base, kind: 'failed', logTail: lines.join('\n') }, 'Last log lines')?.value ?? '';
    expect(value.length).toBeLessThanOrEqual(1024);
    expect(value.startsWith('```\n')).toBe(true);
    expect(value.endsWith('line 499: something happened\n```')).toBe(true);
    expect(value).not.toContain('line 0:');
    expect(value).toContain('\nline '); // cut on a whole line
  });

  it('truncates long values and titles to Discord limits', () => {
    const n: DeployNotice = { ...base, kind: 'failed', reason: 'x'.repeat(5000), environment: 'e'.repeat(300) };
    const e = noticeEmbed(n);
    expect(field(n, 'Reason')?.value.length).toBe(1024);
    expect(e.title?.length).toBeLessThanOrEqual(256);
    for (const f of e.fields ?? []) expect(f.value.length).toBeLessThanOrEqual(1024);
  });

  it('includes nothing that is not in the notice', () => {
    const e = noticeEmbed(base);
    expect(Object.keys(e).sort()).toEqual(['color', 'fields', 'title', 'url']);
  });
});

describe('sendDiscord', () => {
  let recorder: DiscordRecorder | undefined;
  afterEach(async () => {
    await recorder?.stop();
    recorder = undefined;
  });

  it('posts one embed to the webhook', async () => {
    recorder = await startDiscordRecorder();
    await sendDiscord(recorder.webhookUrl, { ...base, kind: 'succeeded' }, { apiBase: recorder.apiBase });
    expect(recorder.calls).toHaveLength(1);
    const [call] = recorder.calls;
    expect(call?.method).toBe('POST');
    expect(call?.path).toBe('/api/v10/webhooks/123456789012345678/fake-token-abc');
    expect(call?.body.username).toBe('smokestack');
    expect(call?.body.embeds[0].title).toBe('✅ dev-cloud: v2 deployed');
  });

  const failures: Array<[string, (r: DiscordRecorder) => void]> = [
    ['a 500', (r) => r.setFailure(500)],
    ['a 404', (r) => r.setFailure(404)],
    ['a 429', (r) => r.setFailure(429)],
    ['a slow answer', (r) => r.setDelay(2000)],
  ];
  for (const [what, arrange] of failures) {
    it(`rejects fast on ${what}, without the token, and does not retry`, async () => {
      recorder = await startDiscordRecorder();
      arrange(recorder);
      const started = Date.now();
      const err = await sendDiscord(recorder.webhookUrl, base, { apiBase: recorder.apiBase, timeoutMs: 300 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(1500);
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message)).not.toContain('fake-token-abc');
      expect(JSON.stringify(err)).not.toContain('fake-token-abc');
      expect((err as Error).cause).toBeUndefined();
      expect(recorder.calls).toHaveLength(1);
    });
  }

  it('rejects a malformed webhook URL without echoing it', async () => {
    const err = await sendDiscord('https://example.com/not-a-hook/secret-ish', base).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('secret-ish');
  });
});
