// Delivers one notice to Discord. It runs in the notifier workflow, whose
// retry policy keeps trying while Discord is down: a failure here says
// whether a retry can help (Discord did not answer) or not (it said no).
import { loadConfig } from '../../config/load.ts';
import { runUrl, temporalSettings } from '../../temporal/connection.ts';
import { failure } from '../../workflows/failures.ts';
import type { Notice } from '../../workflows/types.ts';
import { configSecretValues, redactor, redactStrings } from '../redact.ts';
import { readSecret } from '../secrets.ts';
import { DiscordError, sendDiscord } from './discord.ts';

export async function notify(configFile: string, notice: Notice): Promise<void> {
  const config = loadConfig(configFile);
  const discord = config.notifications?.discord;
  if (!discord) return;
  const url = runUrl(temporalSettings(config), notice.run.workflowId, notice.run.runId);
  const webhook = readSecret('discord webhook', discord.webhook);
  const apiBase = process.env.SMOKESTACK_DISCORD_API ?? discord.apiBase;
  const { run: _run, ...shown } = notice;
  // A notice's free text comes from hosts (a failure's reason, log lines, check details): no secret leaves in it.
  const redacted = redactStrings(shown, redactor(configSecretValues(config)));
  try {
    await sendDiscord(webhook, { ...redacted, runUrl: url }, { apiBase, timeoutMs: 5000 });
  } catch (err) {
    if (!(err instanceof DiscordError)) throw failure('InvalidConfig', (err as Error).message);
    // 4xx but 429 (rate limited): a deleted webhook or a bad token will not heal by itself.
    const refused = err.status !== undefined && err.status >= 400 && err.status < 500 && err.status !== 429;
    throw failure(refused ? 'NoticeRefused' : 'NoticeNotSent', err.message);
  }
}
