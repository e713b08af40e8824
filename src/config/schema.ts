// The one schema for smokestack.yml. The validator, the error messages and
// `smokestack config docs` all come from here, so they cannot drift apart.
import { z } from 'zod';
import { HEALTH_TIMEOUT_SECONDS } from '../workflows/timeouts.ts';
import type { SecretRef, ServiceCheck, SmokeTestCheck } from '../workflows/types.ts';
import { envWritable, NOT_ENV_WRITABLE } from './env-file.ts';
import { PUBLIC_KEY } from '../signatures/public-key.ts';

/** Docker's tag grammar: what a --version may be. Nothing else reaches a host. */
export const VERSION_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;
const CONTAINER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ENV_VAR_PATTERN = /^[A-Z_][A-Z0-9_]*$/;
const ABSOLUTE_PATH = /^\/[A-Za-z0-9_./-]*$/;
const HOST_FINGERPRINT = 'must be an SSH fingerprint like SHA256:... (ssh-keygen -lf KEY.pub), or a list of them';
const hostFingerprint = () => z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, HOST_FINGERPRINT);
const envVarName = () => z.string().regex(ENV_VAR_PATTERN, 'must be an environment variable name: A-Z, 0-9 and "_"');

// zod's plain .url() passes anything new URL() parses ("foo:bar", "mailto:x",
// "http:host") and quietly trims or drops blanks. curl is given the text as
// written, so it must be an http(s) URL written out in full, with no blanks,
// whose host is a name or an address ("localhost", "127.0.0.1", "[::1]"), not
// only the public domains z.httpUrl() allows.
const HTTP_URL_TEXT = /^https?:\/\/\S+$/i;
const URL_HOST = new RegExp(`${z.regexes.hostname.source}|^\\[[0-9A-Fa-f:.]+\\]$`);
const NOT_HTTP_URL = 'must be an http:// or https:// URL with a host';
const httpUrl = () =>
  z
    .string()
    .regex(HTTP_URL_TEXT, { error: NOT_HTTP_URL, abort: true })
    .check(z.url({ protocol: z.regexes.httpProtocol, hostname: URL_HOST, error: NOT_HTTP_URL }));

export const versionSchema = z
  .string()
  .regex(VERSION_PATTERN, 'must be an image tag: letters, digits, "_", "." and "-", at most 128 characters');

const secretSource = z
  .union(
    [
      z.object({ env: envVarName(), encode: z.literal('uri').optional() }).strict(),
      z.object({ file: z.string().min(1), encode: z.literal('uri').optional() }).strict(),
    ],
    { error: 'must be { env: NAME } or { file: PATH }, with encode: uri if the value is used inside a URL' },
  )
  .describe(
    'Where the worker reads the value: { env: NAME } or { file: PATH }; encode: uri for a value used inside a URL. Values never enter workflows.',
  ) satisfies z.ZodType<SecretRef>;

const serviceSchema = z
  .object({
    container: z
      .string()
      .regex(CONTAINER_NAME_PATTERN, 'must be a Docker container name')
      .describe('Exact container name (compose container_name).'),
    http: httpUrl()
      .optional()
      .describe('http:// or https:// URL probed from the host itself, e.g. the backend readiness endpoint. Must answer 2xx.'),
    process: z
      .string()
      .min(1)
      .optional()
      .describe('Process name that must run inside the container (pgrep -x), for services with no endpoint.'),
  })
  .strict() satisfies z.ZodType<ServiceCheck>;

// A path as a browser would ask for it: no blanks, no scheme, no host.
const URL_PATH = /^\/[A-Za-z0-9_\-./~%?=&+:@!$'()*,;]*$/;

const smokeCheckSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, 'must be a short name: letters, digits, " ", "_", "." and "-"')
      .describe('What the check proves, as the result and Discord name it (e.g. "frontend page", "api through frontend").'),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .describe("The port on the host's loopback (127.0.0.1) the request goes to, e.g. 80 for the cloud frontend, whose nginx proxies /api/ to the backend."),
    path: z.string().regex(URL_PATH, 'must be a URL path starting with /').default('/').describe('The path asked for with GET.'),
    expectStatus: z.number().int().min(100).max(599).default(200).describe('The HTTP status the answer must have.'),
    expectText: z
      .string()
      .min(1)
      .optional()
      .describe('Text the body must contain, e.g. `<title>Smart Smoker</title>`: an nginx error page, or the wrong service, fails the check.'),
  })
  .strict()
  .describe("One check: GET http://127.0.0.1:PORT/PATH on the host, judged by its status and body.") satisfies z.ZodType<SmokeTestCheck>;

const healthSchema = z
  .object({
    timeoutSeconds: z
      .number()
      .int()
      .min(HEALTH_TIMEOUT_SECONDS.min)
      .max(HEALTH_TIMEOUT_SECONDS.max)
      .default(HEALTH_TIMEOUT_SECONDS.default).describe('One deadline for the whole stack to become healthy.'),
    intervalSeconds: z
      .number()
      .min(0.1)
      .max(60)
      .default(1)
      .describe('Time between polls; each poll reads every container in one command and runs every probe at once.'),
    tailscale: z.boolean().default(false).describe('Also require `tailscale status` to succeed on the host.'),
  })
  .strict();

// The database users `smokestack db users ENV` creates or updates (docs/database.md).
const MONGO_USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/;
const MONGO_DATABASE_NAME = /^[A-Za-z0-9_-]{1,63}$/;
const mongoUserName = () => z.string().regex(MONGO_USER_NAME, 'must be a user name (letters, digits, "_", ".", "@", "-")');
const passwordSecret = (name: string, optional = false) =>
  envVarName()
    .default(name)
    .describe(
      `The entry of this environment's \`secrets\` that holds the password.${optional ? ' Without that entry this user is not managed.' : ' Required by `db users`.'}`,
    );

export const DEFAULT_DATABASE_USERS = {
  root: { secret: 'MONGO_ROOT_PASSWORD' },
  app: { user: 'smartsmoker', secret: 'MONGO_APP_PASSWORD', database: 'smartsmoker' },
  backup: { user: 'smokestack-backup', secret: 'MONGO_BACKUP_PASSWORD' },
};

const databaseUsersSchema = z
  .object({
    root: z
      .object({
        user: mongoUserName().optional().describe('Default: the `MONGO_ROOT_USER` setting of `env`, else admin (the mongo image\'s root user).'),
        secret: passwordSecret(DEFAULT_DATABASE_USERS.root.secret),
      })
      .strict()
      .default(DEFAULT_DATABASE_USERS.root)
      .describe('The administrator (role root): smokestack connects as this user.'),
    app: z
      .object({
        user: mongoUserName().default(DEFAULT_DATABASE_USERS.app.user).describe('The user the backend connects as.'),
        secret: passwordSecret(DEFAULT_DATABASE_USERS.app.secret),
        database: z
          .string()
          .regex(MONGO_DATABASE_NAME, 'must be a database name (letters, digits, "_", "-")')
          .default(DEFAULT_DATABASE_USERS.app.database)
          .describe('The only database it may read and write (role readWrite).'),
      })
      .strict()
      .default(DEFAULT_DATABASE_USERS.app)
      .describe('The application user.'),
    backup: z
      .object({
        user: mongoUserName().default(DEFAULT_DATABASE_USERS.backup.user).describe('The user backups dump and restore as.'),
        secret: passwordSecret(DEFAULT_DATABASE_USERS.backup.secret, true),
      })
      .strict()
      .default(DEFAULT_DATABASE_USERS.backup)
      .describe('The backup user (roles backup and restore).'),
  })
  .strict()
  .describe('Users `smokestack db users ENV` creates, or updates when they exist (all in the admin database). Passwords come from `secrets`.');

export const environmentSchema = z
  .object({
    kind: z.enum(['cloud', 'device']).describe('cloud: backend, frontend, MongoDB. device: the smoker stack.'),
    host: z.string().min(1).describe('SSH host name or address (the Tailscale name in production).'),
    port: z.number().int().min(1).max(65535).default(22).describe('SSH port.'),
    user: z.string().regex(/^[a-z_][a-z0-9_-]*$/, 'must be a Unix user name').default('root').describe('SSH user; needs to run docker.'),
    privateKey: z.string().min(1).describe('Path to the SSH private key the worker uses. ~ and ${VAR} are expanded.'),
    connectTimeoutSeconds: z.number().int().min(1).max(120).default(10).describe('Give up connecting after this long (then retry).'),
    hostKey: z
      .union([hostFingerprint(), z.array(hostFingerprint()).min(1)], { error: HOST_FINGERPRINT })
      .optional()
      .describe(
        "The host's SSH key fingerprint (or a list, one per key type), e.g. SHA256:… from `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on the host. A host presenting any other key is refused. Required unless knownHostsFile lists the host: `smokestack hosts trust ENV` pins it.",
      ),
    protected: z
      .boolean()
      .default(false)
      .describe(
        'Production: changed only by a promotion, or by a deploy, rollback, restore or migration that carries an approver\'s signed request (--sign). promotion.to and promotion.devices are protected whatever this says (docs/promotion.md).',
      ),
    deployDir: z.string().regex(ABSOLUTE_PATH, 'must be an absolute path').describe('Directory on the host holding the stack.'),
    composeFile: z.string().min(1).describe('Local compose file, relative to this config file; uploaded unchanged.'),
    extraFiles: z
      .array(z.string().min(1))
      .default([])
      .describe('Local files or folders (relative to this config file) uploaded beside the compose file, private to the SSH user (files 0600, folders 0700) like everything smokestack writes on a host.'),
    readableExtraFiles: z
      .array(z.string().min(1))
      .default([])
      .describe(
        "Local files or folders uploaded beside the compose file like extraFiles, but readable by every user on the host (files 0644, folders 0755): for what a container reads as a user of its own, such as mongo's init scripts (run as uid 999). Never a secret: secrets go to .env.",
      ),
    env: z
      .record(envVarName(), z.string().refine(envWritable, NOT_ENV_WRITABLE))
      .default({})
      .describe('Plain settings written to the stack .env file. A value may not hold a single quote or a line break: .env cannot hold them exactly.'),
    secrets: z
      .record(envVarName(), secretSource)
      .default({})
      .describe('Secret settings written to the stack .env file (mode 0600). Read when a deploy is planned: a missing one, or one holding a single quote or a line break, fails the deploy before any host is touched.'),
    services: z.record(z.string().min(1), serviceSchema).describe('Compose services to health-check, by service name.'),
    database: z
      .object({
        container: z.string().regex(CONTAINER_NAME_PATTERN, 'must be a Docker container name').describe('The MongoDB container.'),
        users: databaseUsersSchema.default(DEFAULT_DATABASE_USERS),
      })
      .strict()
      .optional()
      .describe('Cloud stacks: the database backed up before every deploy.'),
    holdDuringDeploy: z
      .array(z.string().min(1))
      .default([])
      .describe('Compose services stopped for the length of a deploy and started after it (Watchtower must not race a deploy).'),
    health: healthSchema.default({ timeoutSeconds: HEALTH_TIMEOUT_SECONDS.default, intervalSeconds: 1, tailscale: false }),
    minFreeDiskMb: z.number().int().min(0).default(1024).describe('Preflight refuses to deploy below this much free disk.'),
    retention: z
      .object({
        keep: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(5)
          .describe('Rollback points (which hold .env copies) and pre-deploy backups kept on the host; older ones are removed after a successful deploy.'),
      })
      .strict()
      .default({ keep: 5 }),
    smoke: z
      .array(smokeCheckSchema)
      .max(20)
      .default([])
      .refine((checks) => new Set(checks.map((c) => c.name)).size === checks.length, 'every check needs a name of its own')
      .describe(
        'The smoke test run once a deploy has passed its health gate: GETs from the worker, through SSH, to ports of the host\'s loopback. A failed check is reported (result, Discord) as a warning; it never fails or rolls back the deploy. See docs/smoke.md.',
      ),
  })
  .strict();

const LOCAL_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const isTimeZone = (zone: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};
const repositoryName = () =>
  z.string().regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, 'must be a repository name like owner/image');
const personName = () => z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/, 'must be a user name (letters, digits, "_", ".", "@", "-")');
const publicKey = () =>
  z
    .string()
    .regex(PUBLIC_KEY, 'must be an OpenSSH public key line, e.g. "ssh-ed25519 AAAA… bob@laptop" (the .pub file)')
    .describe("The approver's SSH public key: their answers are signed with its private half (ssh-keygen -Y sign).");
const approverSchema = z
  .union([personName(), z.object({ name: personName(), key: publicKey() }).strict()], {
    error: 'must be a name, or { name: NAME, key: "ssh-ed25519 AAAA…" }',
  })
  .describe('A name (its key then comes from allowedSignersFile), or { name, key } with the public key inline.');
const tcpPort = () => z.number().int().min(1).max(65535);

const rolloutSchema = z
  .object({
    strategy: z
      .enum(['rolling', 'immediate', 'window'])
      .default('rolling')
      .describe('rolling: batchSize at a time (in batches when pauseSeconds is set), stopping past maxFailures. immediate: all at once, concurrency at a time. window: like immediate, but only inside a daily time window.'),
    batchSize: z.number().int().min(1).max(1000).default(1).describe('rolling: devices updating at once (per batch when pauseSeconds is set).'),
    pauseSeconds: z.number().min(0).max(86400).default(0).describe('rolling: go in batches, pausing this long after each.'),
    maxFailures: z.number().int().min(0).default(0).describe('rolling: stop once more devices than this failed (rolled back or gave up waiting).'),
    concurrency: z.number().int().min(1).max(1000).default(10).describe('immediate and window: devices updated at once.'),
    window: z
      .object({
        start: z.string().regex(LOCAL_TIME, 'must be a local time HH:MM').describe('Local time updates may start from.'),
        end: z.string().regex(LOCAL_TIME, 'must be a local time HH:MM').describe('Local time after which no update starts (may be past midnight).'),
        timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').describe('IANA time zone of the window.'),
      })
      .strict()
      .refine((w) => w.start !== w.end, { message: 'start and end must differ (a window of no time never opens)', path: ['end'] })
      .optional()
      .describe('window: when device updates may start, every day.'),
  })
  .strict()
  .refine((r) => r.strategy !== 'window' || r.window, { message: 'strategy window needs a window: { start, end, timeZone }', path: ['window'] });

export const promotionSchema = z
  .object({
    from: z
      .array(z.string().min(1))
      .min(1)
      .default(['dev-cloud', 'virtual-smoker'])
      .describe('Dev environments whose running images, by digest, are the release candidate. All must run the same version, healthy.'),
    to: z.string().min(1).default('prod-cloud').describe('The cloud environment the release is deployed to first.'),
    devices: z.array(z.string().min(1)).default([]).describe('Device environments updated after it, each waited for while it is offline.'),
    registry: z
      .object({ url: httpUrl().describe('The registry HTTP API base (Registry API v2), e.g. https://registry-1.docker.io.') })
      .strict()
      .describe('Where release tags are written, by digest.'),
    repositories: z
      .array(repositoryName())
      .min(1)
      .describe("The application's own repositories, tagged with each release (not infrastructure images such as mongo)."),
    approvers: z
      .array(approverSchema)
      .min(1)
      .describe('Who may approve or reject a promotion, each with an SSH public key: an answer counts only when signed by the key listed for its signer (docs/promotion.md).'),
    allowedSignersFile: z
      .string()
      .min(1)
      .optional()
      .describe("A file of allowed-signers lines, as git's gpg.ssh.allowedSignersFile (`NAME[,NAME…] [options] ssh-ed25519 AAAA…`): more keys for the approvers named above. ~ and ${VAR} are expanded; relative to this config file."),
    allowSelfApproval: z.boolean().default(false).describe("Whether the person who requested a promotion may approve it (GitHub's prevent self-review, off)."),
    approvalTimeoutSeconds: z
      .number()
      .int()
      .min(5)
      .max(30 * 86400)
      .default(72 * 3600)
      .describe('A promotion nobody answers ends expired after this long, with nothing changed (default 72 h).'),
    reminderSeconds: z.number().int().min(5).default(24 * 3600).describe('"Approval needed" is repeated this often while waiting (default 24 h).'),
    funnel: z
      .array(z.object({ https: tcpPort().describe('Public HTTPS port.'), target: tcpPort().describe('Local port served.') }).strict())
      .default([])
      .describe('Tailscale funnel rules set on the cloud environment and verified, e.g. [{ https: 443, target: 80 }].'),
    deviceWait: z
      .object({
        limitSeconds: z.number().int().min(10).default(14 * 86400).describe('Give up on a device still offline after this long (default 14 days).'),
        probeMaxSeconds: z.number().int().min(1).max(3600).default(300).describe('Longest pause between probes of an offline device (backoff cap, default 5 min).'),
      })
      .strict()
      .default({ limitSeconds: 14 * 86400, probeMaxSeconds: 300 }),
    rollout: rolloutSchema.default({ strategy: 'rolling', batchSize: 1, pauseSeconds: 0, maxFailures: 0, concurrency: 10 }),
  })
  .strict();

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

const keepCount = (what: string, fallback: number) =>
  z.number().int().min(0).max(1000).default(fallback).describe(`The newest backup of each of the newest this many ${what} that have one (0: this rule keeps none).`);

export const backupsSchema = z
  .object({
    store: z
      .string()
      .min(1)
      .describe('Directory on the runner (the machine of the worker) for the copy of every backup off its host, one folder per environment.'),
    consistency: z
      .enum(['online', 'quiesce'])
      .default('online')
      .describe('online: dump while the app runs. quiesce: stop the app services for the dump, start them again after and health-gate them (no write lands between two collections).'),
    keep: z
      .object({ daily: keepCount('days', 7), weekly: keepCount('ISO weeks', 4), monthly: keepCount('months', 12) })
      .strict()
      .default({ daily: 7, weekly: 4, monthly: 12 })
      .describe('Rotation (as restic forget): periods without a backup do not count; the newest and the last validated backup always stay; nothing is deleted while the newest is over 2 days old.'),
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin').default('UTC').describe('Where days, weeks and months begin, for rotation and the daily schedule.'),
    dailyAt: z
      .string()
      .regex(LOCAL_TIME, 'must be a local time HH:MM')
      .default('02:00')
      .describe('Local time of the daily backup of every environment with a database (`smokestack schedules apply`).'),
    validateWeekly: z
      .object({
        day: z.enum(WEEKDAYS).default('sunday').describe('Day of the week of the validation.'),
        at: z.string().regex(LOCAL_TIME, 'must be a local time HH:MM').default('04:00').describe('Local time of the validation.'),
      })
      .strict()
      .default({ day: 'sunday', at: '04:00' })
      .describe("When the newest backup of every environment with a database is restored into a scratch database and compared with its manifest (`smokestack schedules apply`)."),
  })
  .strict();

/** What the reminder lists before the old database host may go (migration.checks). */
export const DEFAULT_DECOMMISSION_CHECKS = [
  'smokestack backups TARGET lists a validated backup taken after the migration',
  'the app on TARGET has served without a rollback since the migration',
  'nothing still writes to the old host (its backend stays stopped)',
  'a copy of the old host\'s last backup is kept somewhere other than the old host',
];

export const migrationSchema = z
  .object({
    keepSourceDays: z
      .number()
      .positive()
      .max(365)
      .default(14)
      .describe('How long the old database host is kept as the fallback before Discord is reminded that it can be decommissioned. Nothing is deleted either way.'),
    dryRunTarget: z.string().default('dev-cloud').describe('Where `migrate --dry-run` copies the database: a cloud environment with a database, never the real target.'),
    smokeCheck: z
      .object({
        collection: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a collection name: letters, digits and _')
          .default('smokes')
          .describe("The collection of `smartsmoker` whose newest document (greatest _id) the backend must serve after the switch."),
        path: z
          .string()
          .regex(/^\/[A-Za-z0-9_\-/{}.]*$/, 'a path like /api/latest/{collection}')
          .default('/api/latest/{collection}')
          .describe('The backend API path that answers with that newest document; {collection} is replaced by the collection.'),
        port: z.number().int().min(1).max(65535).default(3001).describe("The backend's port on the target host's loopback (the cloud compose publishes 127.0.0.1:3001)."),
      })
      .strict()
      .default({ collection: 'smokes', path: '/api/latest/{collection}', port: 3001 })
      .describe('How the switch proves the new database serves: one read through the backend API.'),
    checks: z
      .array(z.string().min(1))
      .default(DEFAULT_DECOMMISSION_CHECKS)
      .describe('What the reminder lists to check before the old host is decommissioned (TARGET is replaced by the target environment).'),
  })
  .strict();

export const configSchema = z
  .object({
    temporal: z
      .object({
        address: z.string().default('localhost:7233').describe('Temporal frontend host:port. $TEMPORAL_ADDRESS overrides.'),
        namespace: z.string().default('default').describe('$TEMPORAL_NAMESPACE overrides.'),
        taskQueue: z.string().default('smokestack').describe('Task queue the worker polls. $SMOKESTACK_TASK_QUEUE overrides.'),
        uiUrl: httpUrl().default('http://localhost:8233').describe('Web UI base URL, for links to runs. $TEMPORAL_UI_URL overrides.'),
      })
      .describe('Where the Temporal server is.')
      .strict()
      .default({ address: 'localhost:7233', namespace: 'default', taskQueue: 'smokestack', uiUrl: 'http://localhost:8233' }),
    notifications: z
      .object({
        discord: z
          .object({
            webhook: secretSource.describe('The webhook URL is a secret: { env: NAME } or { file: PATH }.'),
            apiBase: httpUrl().optional().describe('Discord API base URL (tests point it at a local recorder). $SMOKESTACK_DISCORD_API overrides.'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .optional()
      .describe('Where deploy notifications go.'),
    promotion: promotionSchema.optional().describe('Promotion to production: `smokestack promote RELEASE` (docs/promotion.md).'),
    backups: backupsSchema.optional().describe('Database backups: `smokestack backup ENV`, rotation and the off-host copy (docs/backups.md).'),
    migration: migrationSchema
      .optional()
      .describe('The one-time move of a database to another host: `smokestack migrate` (docs/migration.md).'),
    knownHostsFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        "An OpenSSH known_hosts file pinning the hosts' keys (plain or hashed names, `[host]:port` for another port), for every environment without a hostKey. ~ and ${VAR} are expanded; relative to this config file. `smokestack hosts trust ENV` adds to it.",
      ),
    stateDir: z
      .string()
      .min(1)
      .optional()
      .describe("Where the worker keeps its own small records (the signed requests it has used, so that none is used twice). Default: /var/lib/smokestack as root, else ~/.local/state/smokestack. ~ and ${VAR} are expanded."),
    metrics: z
      .object({
        address: z
          .string()
          .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:9464 (port 0: any free port)')
          .default('127.0.0.1:9464')
          .describe('Where the worker serves Prometheus metrics, at /metrics: its own and the Temporal runtime\'s (docs/monitoring.md). $SMOKESTACK_METRICS_ADDRESS overrides.'),
      })
      .strict()
      .optional()
      .describe('The worker\'s Prometheus endpoint; without this section (and without $SMOKESTACK_METRICS_ADDRESS) the worker serves no metrics.'),
    codec: z
      .object({
        required: z
          .boolean()
          .default(false)
          .describe(
            'Refuse to start the worker and the CLI without codec keys ($SMOKESTACK_CODEC_KEYS_FILE or $SMOKESTACK_CODEC_KEYS), so no payload reaches Temporal unencrypted.',
          ),
      })
      .strict()
      .optional()
      .describe('Payload encryption (docs/encryption.md). The keys never come from this file, only from the environment.'),
    environments: z
      .record(z.string().regex(ENV_NAME_PATTERN, 'environment names are lower-case words joined by "-"'), environmentSchema)
      .refine((envs) => Object.keys(envs).length > 0, 'at least one environment is needed')
      .describe('The deploy targets, by name: dev-cloud, prod-cloud, virtual-smoker, smoker.'),
  })
  .strict()
  .superRefine((config, ctx) => {
    // The dry run copies over this environment's database: it must have one. Without a migration
    // section the defaults apply, checked when a migration is asked for; with no environments there
    // is nothing to check against (that is its own problem).
    const dry = config.migration?.dryRunTarget;
    if (dry !== undefined && Object.keys(config.environments).length > 0) {
      const problem = !config.environments[dry] ? `unknown environment "${dry}"` : !config.environments[dry].database ? `"${dry}" has no database to copy into` : undefined;
      if (problem) ctx.addIssue({ code: 'custom', path: ['migration', 'dryRunTarget'], message: problem });
    }
    const p = config.promotion;
    if (!p) return;
    const kindOf = (name: string) => config.environments[name]?.kind;
    const need = (names: string[], field: string, kind?: 'cloud' | 'device') =>
      names.forEach((name, i) => {
        const path = ['promotion', field, ...(Array.isArray((p as any)[field]) ? [i] : [])];
        if (!kindOf(name)) ctx.addIssue({ code: 'custom', path, message: `unknown environment "${name}"` });
        else if (kind && kindOf(name) !== kind) ctx.addIssue({ code: 'custom', path, message: `"${name}" is a ${kindOf(name)} environment, not a ${kind} one` });
      });
    need(p.from, 'from');
    need([p.to], 'to', 'cloud');
    need(p.devices, 'devices', 'device');
    const names = p.approvers.map((a) => (typeof a === 'string' ? a : a.name).toLowerCase());
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['promotion', 'approvers', i], message: `"${name}" is listed twice` });
    });
  });

export type PromotionConfig = z.infer<typeof promotionSchema>;
export type BackupsConfig = z.infer<typeof backupsSchema>;
export type MigrationConfig = z.infer<typeof migrationSchema>;

/** The migration section as it applies: the file's, or every default. */
export const migrationSettings = (config: Pick<Config, 'migration'>): MigrationConfig => config.migration ?? migrationSchema.parse({});
export type Config = z.infer<typeof configSchema>;
export type EnvironmentConfig = z.infer<typeof environmentSchema>;
