// The Discord webhook, checked for shape without sending anything, and shown
// without its token: the URL is a secret (whoever holds it can post to the
// channel), so only its id part ever reaches the terminal.
import { fail, ok, type CheckLine } from './lines.ts';

// Discord's own hosts for webhooks (the API answers on all of them).
const DISCORD_HOSTS = new Set(['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com']);
// The notifier's parse (src/activities/notify/discord.ts): …/webhooks/<id>/<token>, optionally versioned API.
const WEBHOOK_PATH = /^(\/api(?:\/v\d+)?\/webhooks\/\d+\/)([\w-]+)\/?$/;

/** The URL with its token replaced by ***; a URL that is no webhook shows its origin only. */
export function redactWebhook(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(not a URL)';
  }
  const m = WEBHOOK_PATH.exec(parsed.pathname);
  return m ? `${parsed.origin}${m[1]}***` : `${parsed.origin}/…`;
}

/**
 * Whether the notifier can use this URL: https on a Discord host with a
 * …/webhooks/<id>/<token> path. The notifier posts to `apiBase` (Discord's
 * API unless configured) with the id and token, whatever host the URL names,
 * so a URL under the configured apiBase (the lab's stand-in) is fine too.
 */
export function judgeWebhook(name: string, url: string, apiBase?: string): CheckLine {
  const shown = redactWebhook(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail(name, 'the webhook secret is not a URL: copy it again from Discord (channel settings > Integrations > Webhooks)');
  }
  if (!WEBHOOK_PATH.test(parsed.pathname) || parsed.search || parsed.username || parsed.password) {
    return fail(name, `${shown} is not of the form https://discord.com/api/webhooks/<id>/<token>: copy it again from Discord`);
  }
  const sentTo = apiBase ? ` (notices go to ${apiBase})` : '';
  if (apiBase && url.startsWith(apiBase.replace(/\/+$/, '') + '/')) return ok(name, `${shown}, well formed${sentTo}`);
  if (parsed.protocol !== 'https:' || !DISCORD_HOSTS.has(parsed.hostname)) {
    return fail(name, `${shown} is not on https://discord.com (nor under the configured apiBase): copy the URL again from Discord`);
  }
  return ok(name, `${shown}, well formed${sentTo}`);
}
