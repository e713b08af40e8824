// The Discord webhook as the notifier will read it: the secret is read here
// (where doctor runs, the runner) and judged, and never printed.
import type { Config } from '../config/schema.ts';
import { readSecret } from '../activities/secrets.ts';
import { judgeWebhook } from './webhook.ts';
import { fail, warn, type CheckLine } from './lines.ts';

const NAME = 'discord webhook';

export function checkWebhook(config: Config): CheckLine {
  const discord = config.notifications?.discord;
  if (!discord) return warn(NAME, 'none configured (notifications.discord): nobody hears of deploys');
  const source = discord.webhook;
  if ('env' in source && !process.env[source.env]) {
    // The worker reads it from its own environment, which may not be this shell's.
    return warn(NAME, `$${source.env} is not set here: the worker needs it in its environment (run doctor where the worker runs to check it)`);
  }
  let url: string;
  try {
    url = readSecret(NAME, source);
  } catch (err) {
    return fail(NAME, (err as Error).message);
  }
  return judgeWebhook(NAME, url, process.env.SMOKESTACK_DISCORD_API ?? discord.apiBase);
}
