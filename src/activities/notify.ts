// Deploy notifications. A notification that cannot be sent is logged and
// dropped: Discord being down must never fail or slow a deploy.
import { Context } from '@temporalio/activity';
import { loadConfig } from '../config/load.ts';
import { temporalSettings, runUrl } from '../client/temporal.ts';
import { sendDiscord, type DeployNotice } from '../notify/discord.ts';
import { activityLog } from './remote.ts';
import { readSecret } from './secrets.ts';

export type NoticeInput = Omit<DeployNotice, 'runUrl'>;

export async function notify(configFile: string, notice: NoticeInput): Promise<void> {
  const { workflowExecution } = Context.current().info;
  try {
    const config = loadConfig(configFile);
    const discord = config.notifications?.discord;
    if (!discord) return;
    const url = runUrl(temporalSettings(config), workflowExecution?.workflowId ?? '', workflowExecution?.runId ?? '');
    const webhook = readSecret('discord webhook', discord.webhook);
    const apiBase = process.env.SMOKESTACK_DISCORD_API ?? discord.apiBase;
    await sendDiscord(webhook, { ...notice, runUrl: url }, { apiBase, timeoutMs: 5000 });
  } catch (err) {
    activityLog(`notification "${notice.kind}" not sent: ${(err as Error).message}`);
  }
}
