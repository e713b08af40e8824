// Deploy notices for a Discord channel: one pure function that turns a notice
// into an embed, and one sender that posts it through a webhook.
import { WebhookClient, type APIEmbed, type APIEmbedField } from 'discord.js';
import type { Notice, NoticeKind } from '../../workflows/types.ts';

/** A notice as Discord shows it: the run as a link to the Web UI. */
export type DeployNotice = Omit<Notice, 'run'> & { runUrl: string };

/** Discord did not take the message; `status` is its HTTP answer, when it gave one. */
export class DiscordError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DiscordError';
  }
}

interface DiscordOptions {
  apiBase?: string;
  timeoutMs?: number;
}

// Discord rejects the whole message when any embed part is over its limit,
// so a long reason must never cost us the notification.
const LIMITS = { title: 256, description: 4096, fieldValue: 1024 } as const;

const COLORS: Record<NoticeKind, number> = {
  started: 0x3498db,
  succeeded: 0x2ecc71,
  'rolled-back': 0xe74c3c,
  'rollback-failed': 0x992d22,
  failed: 0xe74c3c,
  'backed-up': 0x2ecc71,
  'backup-failed': 0xe74c3c,
  'restore-started': 0xf1c40f,
  restored: 0x2ecc71,
  'restore-failed': 0xe74c3c,
  'restore-undo-failed': 0x992d22,
  'validation-failed': 0xe74c3c,
  'approval-needed': 0xf1c40f,
  'approval-reminder': 0xf1c40f,
  approved: 0x3498db,
  released: 0x2ecc71,
  rejected: 0x95a5a6,
  expired: 0x95a5a6,
  'promotion-rolled-back': 0xe74c3c,
  'promotion-failed': 0xe74c3c,
  'promotion-done': 0x2ecc71,
  'maintenance-started': 0xf1c40f,
  'maintenance-ended': 0x2ecc71,
  'migration-rolled-back': 0xe74c3c,
  'migration-rollback-failed': 0x992d22,
  'migration-failed': 0xe74c3c,
  'dry-run-done': 0x3498db,
  'source-can-go': 0x95a5a6,
};

/** A deploy that stands but whose smoke test failed: a warning's yellow, not success's green. */
const SMOKE_WARNING_COLOR = 0xf1c40f;

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function formatDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return `${h}h ${m}m ${sec}s`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

// The end of a log is where the error is, so cut from the front.
function logBlock(logTail: string): string {
  const open = '```\n';
  const close = '\n```';
  // A ``` inside the log would close our block early.
  let body = logTail.replace(/```/g, '`\u200b``').replace(/\s+$/, '');
  const budget = LIMITS.fieldValue - open.length - close.length;
  if (body.length > budget) {
    body = body.slice(body.length - (budget - 2));
    // Drop the partial first line so the block starts on a whole line.
    const nl = body.indexOf('\n');
    if (nl >= 0 && nl < body.length - 1) body = body.slice(nl + 1);
    body = `…\n${body}`;
  }
  return `${open}${body}${close}`;
}

/** Whether a deploy's smoke test found something wrong: a warning, never a failed deploy. */
const smokeFailed = (n: DeployNotice): boolean => n.smoke?.some((c) => !c.passed) ?? false;

/** One line per check: "✅ frontend page: GET :80/ answered 200 …". */
function smokeLines(n: DeployNotice): string | undefined {
  if (!n.smoke?.length) return undefined;
  return n.smoke.map((c) => `${c.passed ? '✅' : '⚠️'} ${c.name}: ${c.detail}`).join('\n');
}

function headline(n: DeployNotice): { title: string; description?: string } {
  const env = n.environment;
  const back = n.previousVersion ?? 'the previous version';
  switch (n.kind) {
    case 'started':
      return { title: `🚀 ${env}: deploying ${n.version}` };
    case 'succeeded':
      return smokeFailed(n)
        ? { title: `⚠️ ${env}: ${n.version} deployed, smoke test FAILED`, description: `The deploy succeeded and stands (nothing was rolled back), but the app does not answer as it should. See the smoke test below.` }
        : { title: `✅ ${env}: ${n.version} deployed` };
    case 'rolled-back':
      return {
        title: `↩️ ${env}: deploy of ${n.version} failed, rolled back to ${back}`,
        description: `The deploy of ${n.version} FAILED. ${env} was rolled back to ${back}.`,
      };
    case 'rollback-failed':
      return {
        title: `🚨 ${env}: ROLLBACK FAILED`,
        description:
          `The deploy of ${n.version} failed AND the rollback to ${back} failed. ` +
          `${env} is in an unknown state and needs a person now.`,
      };
    case 'failed':
      return { title: `❌ ${env}: deploy of ${n.version} failed` };
    case 'approval-needed':
      return { title: `🔐 ${env}: approval needed for ${n.version}`, description: n.approveCommand ? `Approve or reject with:\n\`${n.approveCommand}\`` : undefined };
    case 'approval-reminder':
      return { title: `⏰ ${env}: ${n.version} still waits for approval`, description: n.approveCommand ? `\`${n.approveCommand}\`` : undefined };
    case 'approved':
      return { title: `👍 ${env}: ${n.version} approved by ${n.decidedBy ?? 'an approver'}` };
    case 'released':
      return { title: `✅ ${env}: ${n.version} released`, description: n.devices ? `Devices: ${n.devices}` : undefined };
    case 'rejected':
      return { title: `🛑 ${env}: ${n.version} rejected by ${n.decidedBy ?? 'an approver'}`, description: 'Nothing was changed.' };
    case 'expired':
      return { title: `⌛ ${env}: approval of ${n.version} expired`, description: 'Nobody answered in time. Nothing was changed.' };
    case 'promotion-rolled-back':
      return { title: `↩️ ${env}: promotion of ${n.version} rolled back`, description: `The release failed and was undone. ${n.devices ? `Devices: ${n.devices}` : ''}`.trim() };
    case 'promotion-failed':
      return { title: `❌ ${env}: promotion of ${n.version} failed` };
    case 'backed-up':
      return { title: `💾 ${env}: backup ${n.version} taken`, description: n.details };
    case 'backup-failed':
      return { title: `❌ ${env}: backup FAILED`, description: 'No new backup was taken; the earlier ones are untouched.' };
    case 'restore-started':
      return { title: `🛠️ ${env}: restoring backup ${n.version}, the app is stopping`, description: n.details };
    case 'restored':
      return { title: `✅ ${env}: backup ${n.version} restored, the app is healthy`, description: n.details };
    case 'restore-failed':
      return { title: `↩️ ${env}: restore of ${n.version} failed, the database is as it was`, description: n.details };
    case 'restore-undo-failed':
      return {
        title: `🚨 ${env}: RESTORE FAILED AND THE SAFETY BACKUP COULD NOT BE PUT BACK`,
        description: `The restore of ${n.version} failed, and so did putting the safety backup back. ${env}'s database needs a person now.`,
      };
    case 'validation-failed':
      return {
        title: `🚨 ${env}: backup ${n.version} FAILED validation`,
        description: 'Restored into a scratch database, it did not give what its manifest says, or it could not be restored at all. The live database was not touched. Take a new backup and look at this one before relying on it.',
      };
    case 'promotion-done':
      return { title: `🏁 ${env}: promotion of ${n.version} ended`, description: n.devices ? `Devices: ${n.devices}` : undefined };
    // A migration's notices: `env` is the source, `version` the target.
    case 'maintenance-started':
      return { title: `🚧 maintenance started: ${env}'s database is moving to ${n.version}`, description: n.details };
    case 'maintenance-ended':
      return { title: `✅ maintenance ended: ${env}'s database now serves from ${n.version}`, description: n.details };
    case 'migration-rolled-back':
      return { title: `↩️ migration of ${env} to ${n.version} rolled back: ${env} serves again`, description: n.details };
    case 'migration-rollback-failed':
      return {
        title: `🚨 ${env}: MIGRATION FAILED AND ${env.toUpperCase()} COULD NOT BE BROUGHT BACK`,
        description: `The migration to ${n.version} failed, and starting ${env}'s app again did not pass its health gate. Nothing was deleted on ${env}; it needs a person now.`,
      };
    case 'migration-failed':
      return { title: `❌ migration of ${env} to ${n.version} stopped before the maintenance window`, description: n.details ?? 'Nothing was stopped on either host.' };
    case 'dry-run-done':
      return { title: `🧪 dry run: ${env}'s database copied into ${n.version}, ${env} untouched`, description: n.details };
    case 'source-can-go':
      return { title: `🗓️ ${env} can be decommissioned: its database moved to ${n.version}`, description: n.details };
  }
}

export function noticeEmbed(n: DeployNotice): APIEmbed {
  const { title, description } = headline(n);
  const fields: APIEmbedField[] = [];
  const add = (name: string, value: string | undefined, inline: boolean) => {
    if (value === undefined || value === '') return;
    fields.push({ name, value: truncate(value, LIMITS.fieldValue), inline });
  };
  add('Environment', n.environment, true);
  add('Version', n.version, true);
  add('Previous version', n.previousVersion, true);
  add('Duration', n.durationSeconds === undefined ? undefined : formatDuration(n.durationSeconds), true);
  add('Requested by', n.requestedBy, true);
  add('Decided by', n.decidedBy, true);
  add('Failed service', n.failedService, true);
  add('Reason', n.reason, false);
  add('Smoke test', smokeLines(n), false);
  if (n.logTail) add('Last log lines', logBlock(n.logTail), false);

  const embed: APIEmbed = {
    title: truncate(title, LIMITS.title),
    url: n.runUrl,
    color: smokeFailed(n) ? SMOKE_WARNING_COLOR : COLORS[n.kind],
    fields,
  };
  if (description) embed.description = truncate(description, LIMITS.description);
  return embed;
}

// Our own parse rather than WebhookClient({ url }): discord.js only accepts a
// 68-character token on discord.com and silently cuts longer ones.
function parseWebhook(webhookUrl: string): { id: string; token: string } {
  const m = /\/webhooks\/(\d+)\/([\w-]+)\/?(?:[?#].*)?$/.exec(webhookUrl);
  if (!m?.[1] || !m[2]) throw new Error('Discord webhook URL is not of the form …/webhooks/<id>/<token>');
  return { id: m[1], token: m[2] };
}

// discord.js errors carry the request URL (with the token) as a property, so
// rethrow a fresh Error with only a redacted message and no cause.
function redactedError(err: unknown, token: string): DiscordError {
  const e = err as { name?: unknown; message?: unknown; status?: unknown };
  const parts = [
    typeof e?.name === 'string' ? e.name : 'Error',
    typeof e?.status === 'number' ? `HTTP ${e.status}` : undefined,
    typeof e?.message === 'string' && e.message ? e.message : undefined,
  ].filter(Boolean);
  const message = `Discord webhook failed: ${parts.join(': ')}`.split(token).join('***');
  return new DiscordError(message, typeof e?.status === 'number' ? e.status : undefined);
}

export async function sendDiscord(webhookUrl: string, notice: DeployNotice, options: DiscordOptions = {}): Promise<void> {
  const { id, token } = parseWebhook(webhookUrl);
  const client = new WebhookClient(
    { id, token },
    {
      rest: {
        api: options.apiBase ?? 'https://discord.com/api',
        timeout: options.timeoutMs ?? 5000,
        retries: 0,
        // Otherwise a 429 makes @discordjs/rest sleep and retry without
        // limit (retries only counts 5xx and timeouts), stalling the deploy.
        rejectOnRateLimit: () => true,
      },
    },
  );
  try {
    await client.send({ username: 'smokestack', embeds: [noticeEmbed(notice)] });
  } catch (err) {
    throw redactedError(err, token);
  } finally {
    client.destroy();
  }
}
