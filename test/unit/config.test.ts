// Configuration: every invalid field is named, with the file it is in, and
// every field of the schema has a case here (a test fails when one lacks it).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envLine } from '../../src/activities/secrets.ts';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.ts';
import { configSchema } from '../../src/config/schema.ts';
import { minimalEnvironment } from '../support/fixtures.ts';
import { REPO_ROOT } from '../support/paths.ts';
import { schemaMap, valuesAt } from '../support/schema-fields.ts';

const dir = mkdtempSync(join(tmpdir(), 'smokestack-config-'));
writeFileSync(join(dir, 'stack.yml'), 'services: {}\n');
writeFileSync(join(dir, 'extra.txt'), 'x\n');
const file = join(dir, 'smokestack.yml');

/** The fewest fields a valid file needs. */
const minimal = () => ({ environments: { 'dev-cloud': minimalEnvironment() } });

/** A valid file with every field and every object of the schema set, both forms of a secret included. */
const full = () => ({
  temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'smokestack', uiUrl: 'http://localhost:8233' },
  notifications: { discord: { webhook: { env: 'DISCORD_WEBHOOK_URL' }, apiBase: 'http://127.0.0.1:9/api' } },
  backups: { store: '/var/lib/smokestack/backups', consistency: 'online', keep: { daily: 7, weekly: 4, monthly: 12 }, timeZone: 'Europe/Berlin', dailyAt: '03:30', validateWeekly: { day: 'saturday', at: '05:00' } },
  migration: { keepSourceDays: 14, dryRunTarget: 'dev-cloud', smokeCheck: { collection: 'smokes', path: '/api/latest/{collection}', port: 3001 }, checks: ['a backup of TARGET is validated'] },
  metrics: { address: '127.0.0.1:9464' },
  codec: { required: true },
  environments: {
    'dev-cloud': {
      ...minimal().environments['dev-cloud'],
      port: 2222,
      user: 'deploy',
      connectTimeoutSeconds: 10,
      hostKey: `SHA256:${'A'.repeat(43)}`,
      extraFiles: ['extra.txt'],
      readableExtraFiles: ['extra.txt'],
      env: { NODE_ENV: 'production', GREETING: 'two words and "quotes"' },
      secrets: { DB_PASSWORD: { env: 'DEV_DB_PASSWORD', encode: 'uri' }, VAPID_KEY: { file: 'vapid.key' } },
      services: {
        backend: { container: 'backend_cloud', http: 'http://127.0.0.1:3001/api/ready' },
        shell: { container: 'electron_shell', process: 'smoker-shell' },
      },
      database: {
        container: 'mongo',
        users: {
          root: { user: 'admin', secret: 'MONGO_ROOT_PASSWORD' },
          app: { user: 'smartsmoker', secret: 'MONGO_APP_PASSWORD', database: 'smartsmoker' },
          backup: { user: 'smokestack-backup', secret: 'MONGO_BACKUP_PASSWORD' },
        },
      },
      holdDuringDeploy: ['watchtower'],
      health: { timeoutSeconds: 120, intervalSeconds: 1, tailscale: true },
      minFreeDiskMb: 2048,
      retention: { keep: 3 },
      smoke: [
        { name: 'frontend page', port: 80, path: '/', expectStatus: 200, expectText: '<title>Smart Smoker</title>' },
        { name: 'api through frontend', port: 80, path: '/api/ready?full=1' },
      ],
    },
    'prod-cloud': { ...minimalEnvironment(), host: 'prod.example', deployDir: '/opt/smart-smoker-prod' },
    smoker: { ...minimalEnvironment(), kind: 'device', host: 'smoker.example', deployDir: '/opt/smart-smoker' },
  },
  promotion: {
    from: ['dev-cloud'],
    to: 'prod-cloud',
    devices: ['smoker'],
    registry: { url: 'https://registry.example' },
    repositories: ['benjr70/smart-smoker-backend', 'benjr70/smart-smoker-frontend'],
    approvers: ['alice', { name: 'bob@example.com', key: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${'b'.repeat(43)} bob@laptop` }],
    allowedSignersFile: '/etc/smokestack/allowed_signers',
    allowSelfApproval: false,
    approvalTimeoutSeconds: 3600,
    reminderSeconds: 600,
    funnel: [
      { https: 443, target: 80 },
      { https: 8443, target: 3001 },
    ],
    deviceWait: { limitSeconds: 86400, probeMaxSeconds: 60 },
    rollout: {
      strategy: 'window',
      batchSize: 2,
      pauseSeconds: 30,
      maxFailures: 1,
      concurrency: 5,
      window: { start: '22:00', end: '06:00', timeZone: 'Europe/Berlin' },
    },
  },
});

function problemsOf(mutate: (c: any) => void): string[] {
  const config = full();
  mutate(config);
  try {
    parseConfig(config, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain(file);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the configuration to be rejected');
}

const env = (c: any) => c.environments['dev-cloud'];

const succeeds = (fn: () => unknown): boolean => {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
};
const URL_PROBLEM = 'must be an http:// or https:// URL with a host';
const UNWRITABLE = 'holds a single quote or a line break, which a .env file cannot hold exactly';
const SECRET_FORMS = 'must be { env: NAME } or { file: PATH }, with encode: uri if the value is used inside a URL';
const ENV_VAR_NAME = 'must be an environment variable name: A-Z, 0-9 and "_"';
const CONTAINER_NAME = 'must be a Docker container name';
const REPOSITORY_NAME = 'must be a repository name like owner/image';
const PERSON_NAME = 'must be a user name (letters, digits, "_", ".", "@", "-")';
const LOCAL_TIME = 'must be a local time HH:MM';
const PUBLIC_KEY_PROBLEM = (at: string) => `${at}: must be an OpenSSH public key line, e.g. "ssh-ed25519 AAAA… bob@laptop" (the .pub file)`;

type Mutation = (c: any) => void;

/**
 * At least one invalid value for every field of the schema, by field path
 * ("<name>" for a key of a map), with the exact problem it must produce.
 */
const INVALID: Record<string, Array<[Mutation, string]>> = {
  temporal: [[(c) => (c.temporal = 'localhost:7233'), 'temporal: Invalid input: expected object, received string']],
  'temporal.address': [[(c) => (c.temporal.address = 7233), 'temporal.address: Invalid input: expected string, received number']],
  'temporal.namespace': [[(c) => (c.temporal.namespace = ['default']), 'temporal.namespace: Invalid input: expected string, received array']],
  'temporal.taskQueue': [[(c) => (c.temporal.taskQueue = null), 'temporal.taskQueue: Invalid input: expected string, received null']],
  'temporal.uiUrl': [
    [(c) => (c.temporal.uiUrl = 'localhost:8233'), `temporal.uiUrl: ${URL_PROBLEM}`],
    [(c) => (c.temporal.uiUrl = 'nope'), `temporal.uiUrl: ${URL_PROBLEM}`],
  ],
  notifications: [[(c) => (c.notifications = ['discord']), 'notifications: Invalid input: expected object, received array']],
  'notifications.discord': [
    [(c) => (c.notifications.discord = 'https://discord.com/api/webhooks/1/x'), 'notifications.discord: Invalid input: expected object, received string'],
  ],
  'notifications.discord.webhook': [
    [(c) => (c.notifications.discord.webhook = 'https://discord.com/api/webhooks/1/x'), `notifications.discord.webhook: ${SECRET_FORMS}`],
    [(c) => (c.notifications.discord.webhook = { vault: 'discord' }), `notifications.discord.webhook: ${SECRET_FORMS}`],
  ],
  'notifications.discord.webhook.env': [
    [(c) => (c.notifications.discord.webhook = { env: 'discord-url' }), `notifications.discord.webhook.env: ${ENV_VAR_NAME}`],
  ],
  'notifications.discord.webhook.file': [
    [(c) => (c.notifications.discord.webhook = { file: '' }), 'notifications.discord.webhook.file: Too small: expected string to have >=1 characters'],
  ],
  'notifications.discord.webhook.encode': [
    [(c) => (c.notifications.discord.webhook.encode = 'base64'), 'notifications.discord.webhook.encode: Invalid input: expected "uri"'],
  ],
  'notifications.discord.apiBase': [[(c) => (c.notifications.discord.apiBase = 'discord.com/api'), `notifications.discord.apiBase: ${URL_PROBLEM}`]],
  environments: [
    // Without the promotion section, which would also name its environments unknown.
    [(c) => ((c.environments = {}), delete c.promotion), 'environments: at least one environment is needed'],
    [(c) => delete c.environments, 'environments: Invalid input: expected record, received undefined'],
  ],
  'environments.<name>': [
    [(c) => (c.environments.Dev_Cloud = env(c)), 'environments.Dev_Cloud: invalid name: environment names are lower-case words joined by "-"'],
    [(c) => (c.environments['dev-cloud'] = 'dev.example'), 'environments.dev-cloud: Invalid input: expected object, received string'],
  ],
  'environments.<name>.kind': [[(c) => (env(c).kind = 'moon'), 'environments.dev-cloud.kind: Invalid option: expected one of "cloud"|"device"']],
  'environments.<name>.host': [[(c) => delete env(c).host, 'environments.dev-cloud.host: Invalid input: expected string, received undefined']],
  'environments.<name>.port': [
    [(c) => (env(c).port = 'twenty-two'), 'environments.dev-cloud.port: Invalid input: expected number, received string'],
    [(c) => (env(c).port = 70000), 'environments.dev-cloud.port: Too big: expected number to be <=65535'],
  ],
  'environments.<name>.user': [[(c) => (env(c).user = 'root; rm -rf /'), 'environments.dev-cloud.user: must be a Unix user name']],
  'environments.<name>.privateKey': [
    [(c) => delete env(c).privateKey, 'environments.dev-cloud.privateKey: Invalid input: expected string, received undefined'],
  ],
  'environments.<name>.connectTimeoutSeconds': [
    [(c) => (env(c).connectTimeoutSeconds = 0), 'environments.dev-cloud.connectTimeoutSeconds: Too small: expected number to be >=1'],
  ],
  'environments.<name>.protected': [[(c) => (env(c).protected = 'yes'), 'environments.dev-cloud.protected: Invalid input: expected boolean, received string']],
  stateDir: [[(c) => (c.stateDir = 5), 'stateDir: Invalid input: expected string, received number']],
  knownHostsFile: [
    [(c) => (c.knownHostsFile = ''), 'knownHostsFile: Too small: expected string to have >=1 characters'],
    [(c) => (c.knownHostsFile = '/nonexistent/known_hosts'), 'knownHostsFile: /nonexistent/known_hosts does not exist (`smokestack hosts trust ENV` writes it)'],
  ],
  'environments.<name>.hostKey': [
    [
      (c) => (env(c).hostKey = 'ssh-ed25519 AAAA'),
      'environments.dev-cloud.hostKey: must be an SSH fingerprint like SHA256:... (ssh-keygen -lf KEY.pub), or a list of them',
    ],
  ],
  'environments.<name>.deployDir': [
    [(c) => (env(c).deployDir = 'relative/dir'), 'environments.dev-cloud.deployDir: must be an absolute path'],
    [(c) => (env(c).deployDir = '/opt/$(reboot)'), 'environments.dev-cloud.deployDir: must be an absolute path'],
  ],
  'environments.<name>.composeFile': [
    [(c) => (env(c).composeFile = 'missing.yml'), `environments.dev-cloud.composeFile: ${join(dir, 'missing.yml')} does not exist`],
  ],
  'environments.<name>.extraFiles': [
    [(c) => (env(c).extraFiles = ['nope']), `environments.dev-cloud.extraFiles.0: ${join(dir, 'nope')} does not exist`],
    [(c) => (env(c).extraFiles = 'extra.txt'), 'environments.dev-cloud.extraFiles: Invalid input: expected array, received string'],
  ],
  'environments.<name>.readableExtraFiles': [
    [(c) => (env(c).readableExtraFiles = ['nope']), `environments.dev-cloud.readableExtraFiles.0: ${join(dir, 'nope')} does not exist`],
    [(c) => (env(c).readableExtraFiles = 'extra.txt'), 'environments.dev-cloud.readableExtraFiles: Invalid input: expected array, received string'],
  ],
  'environments.<name>.env': [[(c) => (env(c).env = 'NODE_ENV=production'), 'environments.dev-cloud.env: Invalid input: expected record, received string']],
  'environments.<name>.env.<name>': [
    [(c) => (env(c).env = { lower: 'x' }), `environments.dev-cloud.env.lower: invalid name: ${ENV_VAR_NAME}`],
    [(c) => (env(c).env = { PORT: 3001 }), 'environments.dev-cloud.env.PORT: Invalid input: expected string, received number'],
    [(c) => (env(c).env = { GREETING: "it's" }), `environments.dev-cloud.env.GREETING: ${UNWRITABLE}`],
    [(c) => (env(c).env = { GREETING: 'line\nbreak' }), `environments.dev-cloud.env.GREETING: ${UNWRITABLE}`],
    [(c) => (env(c).env = { GREETING: 'carriage\rreturn' }), `environments.dev-cloud.env.GREETING: ${UNWRITABLE}`],
  ],
  'environments.<name>.secrets': [[(c) => (env(c).secrets = ['DB_PASSWORD']), 'environments.dev-cloud.secrets: Invalid input: expected record, received array']],
  'environments.<name>.secrets.<name>': [
    [(c) => (env(c).secrets = { DB: { vault: 'x' } }), `environments.dev-cloud.secrets.DB: ${SECRET_FORMS}`],
    [(c) => (env(c).secrets = { DB: 'hunter2' }), `environments.dev-cloud.secrets.DB: ${SECRET_FORMS}`],
    [(c) => (env(c).secrets = { db: { env: 'DB' } }), `environments.dev-cloud.secrets.db: invalid name: ${ENV_VAR_NAME}`],
  ],
  'environments.<name>.secrets.<name>.env': [
    [(c) => (env(c).secrets.DB_PASSWORD.env = 'dev-db-password'), `environments.dev-cloud.secrets.DB_PASSWORD.env: ${ENV_VAR_NAME}`],
  ],
  'environments.<name>.secrets.<name>.file': [
    [(c) => (env(c).secrets.VAPID_KEY.file = ''), 'environments.dev-cloud.secrets.VAPID_KEY.file: Too small: expected string to have >=1 characters'],
  ],
  'environments.<name>.secrets.<name>.encode': [
    [(c) => (env(c).secrets.DB_PASSWORD.encode = 'base64'), 'environments.dev-cloud.secrets.DB_PASSWORD.encode: Invalid input: expected "uri"'],
    [(c) => (env(c).secrets.VAPID_KEY.encode = 'url'), 'environments.dev-cloud.secrets.VAPID_KEY.encode: Invalid input: expected "uri"'],
  ],
  'environments.<name>.services': [[(c) => delete env(c).services, 'environments.dev-cloud.services: Invalid input: expected record, received undefined']],
  'environments.<name>.services.<name>': [
    [(c) => (env(c).services.backend = 'backend_cloud'), 'environments.dev-cloud.services.backend: Invalid input: expected object, received string'],
    [
      (c) => (env(c).services[''] = { container: 'x' }),
      'environments.dev-cloud.services.: invalid name: Too small: expected string to have >=1 characters',
    ],
  ],
  'environments.<name>.services.<name>.container': [
    [(c) => (env(c).services.backend.container = 'bad name'), `environments.dev-cloud.services.backend.container: ${CONTAINER_NAME}`],
  ],
  'environments.<name>.services.<name>.http': [
    // Each of these passes zod's plain .url().
    ...['not a url', 'foo:bar', 'http:foo', 'http:/foo', 'mailto:ops@example.com', 'file:///etc/passwd', 'ftp://x/', 'javascript:alert(1)'].map(
      (url): [Mutation, string] => [(c) => (env(c).services.backend.http = url), `environments.dev-cloud.services.backend.http: ${URL_PROBLEM}`],
    ),
    // What curl is given is the text as written: no blanks zod would trim or drop, a real host.
    ...['http://', ' http://x/', 'http://x/a b', 'http://x/a\nb', 'http://:80/', 'http://a..b/', 'http://x:99999/'].map(
      (url): [Mutation, string] => [(c) => (env(c).services.backend.http = url), `environments.dev-cloud.services.backend.http: ${URL_PROBLEM}`],
    ),
  ],
  'environments.<name>.services.<name>.process': [
    [(c) => (env(c).services.shell.process = 42), 'environments.dev-cloud.services.shell.process: Invalid input: expected string, received number'],
    [(c) => (env(c).services.shell.process = ''), 'environments.dev-cloud.services.shell.process: Too small: expected string to have >=1 characters'],
  ],
  'environments.<name>.database': [[(c) => (env(c).database = 'mongo'), 'environments.dev-cloud.database: Invalid input: expected object, received string']],
  'environments.<name>.database.container': [
    [(c) => (env(c).database.container = 'mongo; reboot'), `environments.dev-cloud.database.container: ${CONTAINER_NAME}`],
  ],
  'environments.<name>.database.users': [[(c) => (env(c).database.users = ['admin']), 'environments.dev-cloud.database.users: Invalid input: expected object, received array']],
  'environments.<name>.database.users.root': [[(c) => (env(c).database.users.root = 'admin'), 'environments.dev-cloud.database.users.root: Invalid input: expected object, received string']],
  'environments.<name>.database.users.root.user': [
    [(c) => (env(c).database.users.root.user = 'ad min'), `environments.dev-cloud.database.users.root.user: ${PERSON_NAME}`],
  ],
  'environments.<name>.database.users.root.secret': [
    [(c) => (env(c).database.users.root.secret = 'mongo-root-password'), `environments.dev-cloud.database.users.root.secret: ${ENV_VAR_NAME}`],
  ],
  'environments.<name>.database.users.app': [[(c) => (env(c).database.users.app = true), 'environments.dev-cloud.database.users.app: Invalid input: expected object, received boolean']],
  'environments.<name>.database.users.app.user': [[(c) => (env(c).database.users.app.user = ''), `environments.dev-cloud.database.users.app.user: ${PERSON_NAME}`]],
  'environments.<name>.database.users.app.secret': [[(c) => (env(c).database.users.app.secret = { env: 'X' }), 'environments.dev-cloud.database.users.app.secret: Invalid input: expected string, received object']],
  'environments.<name>.database.users.app.database': [
    [(c) => (env(c).database.users.app.database = 'smart smoker'), 'environments.dev-cloud.database.users.app.database: must be a database name (letters, digits, "_", "-")'],
  ],
  'environments.<name>.database.users.backup': [[(c) => (env(c).database.users.backup = null), 'environments.dev-cloud.database.users.backup: Invalid input: expected object, received null']],
  'environments.<name>.database.users.backup.user': [[(c) => (env(c).database.users.backup.user = 'backup$'), `environments.dev-cloud.database.users.backup.user: ${PERSON_NAME}`]],
  'environments.<name>.database.users.backup.secret': [[(c) => (env(c).database.users.backup.secret = 'pw'), `environments.dev-cloud.database.users.backup.secret: ${ENV_VAR_NAME}`]],
  'environments.<name>.holdDuringDeploy': [
    [(c) => (env(c).holdDuringDeploy = 'watchtower'), 'environments.dev-cloud.holdDuringDeploy: Invalid input: expected array, received string'],
    [(c) => (env(c).holdDuringDeploy = ['']), 'environments.dev-cloud.holdDuringDeploy.0: Too small: expected string to have >=1 characters'],
  ],
  'environments.<name>.health': [[(c) => (env(c).health = 'yes'), 'environments.dev-cloud.health: Invalid input: expected object, received string']],
  'environments.<name>.health.timeoutSeconds': [
    [(c) => (env(c).health = { timeoutSeconds: 1 }), 'environments.dev-cloud.health.timeoutSeconds: Too small: expected number to be >=5'],
  ],
  'environments.<name>.health.intervalSeconds': [
    [(c) => (env(c).health.intervalSeconds = 0.05), 'environments.dev-cloud.health.intervalSeconds: Too small: expected number to be >=0.1'],
  ],
  'environments.<name>.health.tailscale': [
    [(c) => (env(c).health.tailscale = 'yes'), 'environments.dev-cloud.health.tailscale: Invalid input: expected boolean, received string'],
  ],
  'environments.<name>.minFreeDiskMb': [[(c) => (env(c).minFreeDiskMb = -1), 'environments.dev-cloud.minFreeDiskMb: Too small: expected number to be >=0']],
  'environments.<name>.retention': [[(c) => (env(c).retention = 5), 'environments.dev-cloud.retention: Invalid input: expected object, received number']],
  'environments.<name>.retention.keep': [[(c) => (env(c).retention = { keep: 0 }), 'environments.dev-cloud.retention.keep: Too small: expected number to be >=1']],
  'environments.<name>.smoke': [
    [(c) => (env(c).smoke = { name: 'frontend page', port: 80 }), 'environments.dev-cloud.smoke: Invalid input: expected array, received object'],
    [(c) => (env(c).smoke[1].name = 'frontend page'), 'environments.dev-cloud.smoke: every check needs a name of its own'],
    [(c) => (env(c).smoke[0] = 'http://127.0.0.1:80/'), 'environments.dev-cloud.smoke.0: Invalid input: expected object, received string'],
  ],
  'environments.<name>.smoke[].name': [
    [(c) => (env(c).smoke[0].name = ''), 'environments.dev-cloud.smoke.0.name: must be a short name: letters, digits, " ", "_", "." and "-"'],
    [(c) => delete env(c).smoke[1].name, 'environments.dev-cloud.smoke.1.name: Invalid input: expected string, received undefined'],
  ],
  'environments.<name>.smoke[].port': [
    [(c) => delete env(c).smoke[0].port, 'environments.dev-cloud.smoke.0.port: Invalid input: expected number, received undefined'],
    [(c) => (env(c).smoke[0].port = 70000), 'environments.dev-cloud.smoke.0.port: Too big: expected number to be <=65535'],
  ],
  'environments.<name>.smoke[].path': [
    [(c) => (env(c).smoke[0].path = 'http://127.0.0.1/'), 'environments.dev-cloud.smoke.0.path: must be a URL path starting with /'],
    [(c) => (env(c).smoke[0].path = '/a b'), 'environments.dev-cloud.smoke.0.path: must be a URL path starting with /'],
  ],
  'environments.<name>.smoke[].expectStatus': [[(c) => (env(c).smoke[0].expectStatus = 99), 'environments.dev-cloud.smoke.0.expectStatus: Too small: expected number to be >=100']],
  'environments.<name>.smoke[].expectText': [[(c) => (env(c).smoke[0].expectText = ''), 'environments.dev-cloud.smoke.0.expectText: Too small: expected string to have >=1 characters']],
  promotion: [[(c) => (c.promotion = 'prod-cloud'), 'promotion: Invalid input: expected object, received string']],
  'promotion.from': [
    [(c) => (c.promotion.from = []), 'promotion.from: Too small: expected array to have >=1 items'],
    [(c) => (c.promotion.from = 'dev-cloud'), 'promotion.from: Invalid input: expected array, received string'],
    [(c) => (c.promotion.from = ['dev-cloud', 'staging']), 'promotion.from.1: unknown environment "staging"'],
  ],
  'promotion.to': [
    [(c) => (c.promotion.to = 'production'), 'promotion.to: unknown environment "production"'],
    [(c) => (c.promotion.to = 'smoker'), 'promotion.to: "smoker" is a device environment, not a cloud one'],
    [(c) => (c.promotion.to = ['prod-cloud']), 'promotion.to: Invalid input: expected string, received array'],
  ],
  'promotion.devices': [
    [(c) => (c.promotion.devices = ['smoker', 'fridge']), 'promotion.devices.1: unknown environment "fridge"'],
    [(c) => (c.promotion.devices = ['prod-cloud']), 'promotion.devices.0: "prod-cloud" is a cloud environment, not a device one'],
    [(c) => (c.promotion.devices = 'smoker'), 'promotion.devices: Invalid input: expected array, received string'],
  ],
  'promotion.registry': [
    [(c) => delete c.promotion.registry, 'promotion.registry: Invalid input: expected object, received undefined'],
    [(c) => (c.promotion.registry = 'https://registry-1.docker.io'), 'promotion.registry: Invalid input: expected object, received string'],
  ],
  'promotion.registry.url': [
    [(c) => (c.promotion.registry.url = 'registry-1.docker.io'), `promotion.registry.url: ${URL_PROBLEM}`],
    [(c) => delete c.promotion.registry.url, 'promotion.registry.url: Invalid input: expected string, received undefined'],
  ],
  'promotion.repositories': [
    [(c) => (c.promotion.repositories = []), 'promotion.repositories: Too small: expected array to have >=1 items'],
    [(c) => delete c.promotion.repositories, 'promotion.repositories: Invalid input: expected array, received undefined'],
    [(c) => (c.promotion.repositories = ['Benjr70/Smart-Smoker']), `promotion.repositories.0: ${REPOSITORY_NAME}`],
    [(c) => (c.promotion.repositories = ['benjr70/smart-smoker-backend:latest']), `promotion.repositories.0: ${REPOSITORY_NAME}`],
    [(c) => (c.promotion.repositories = ['benjr70//backend']), `promotion.repositories.0: ${REPOSITORY_NAME}`],
  ],
  'promotion.approvers': [
    [(c) => (c.promotion.approvers = []), 'promotion.approvers: Too small: expected array to have >=1 items'],
    [(c) => (c.promotion.approvers = 'alice'), 'promotion.approvers: Invalid input: expected array, received string'],
    [(c) => (c.promotion.approvers = ['alice', 'bob smith']), `promotion.approvers.1: ${PERSON_NAME}`],
    [(c) => (c.promotion.approvers = ['alice', 'Alice']), 'promotion.approvers.1: "alice" is listed twice'],
    [(c) => (c.promotion.approvers = [7]), 'promotion.approvers.0: must be a name, or { name: NAME, key: "ssh-ed25519 AAAA…" }'],
  ],
  'promotion.approvers[].name': [[(c) => (c.promotion.approvers[1].name = 'bob smith'), `promotion.approvers.1.name: ${PERSON_NAME}`]],
  'promotion.approvers[].key': [
    [(c) => (c.promotion.approvers[1].key = 'AAAAC3NzaC1lZDI1NTE5'), PUBLIC_KEY_PROBLEM('promotion.approvers.1.key')],
    // A second line smuggled into the key would be a second allowed signer.
    [(c) => (c.promotion.approvers[1].key += '\nmallory ssh-ed25519 AAAA'), PUBLIC_KEY_PROBLEM('promotion.approvers.1.key')],
  ],
  'promotion.allowedSignersFile': [[(c) => (c.promotion.allowedSignersFile = ''), 'promotion.allowedSignersFile: Too small: expected string to have >=1 characters']],
  'promotion.allowSelfApproval': [
    [(c) => (c.promotion.allowSelfApproval = 'yes'), 'promotion.allowSelfApproval: Invalid input: expected boolean, received string'],
  ],
  'promotion.approvalTimeoutSeconds': [
    [(c) => (c.promotion.approvalTimeoutSeconds = 1), 'promotion.approvalTimeoutSeconds: Too small: expected number to be >=5'],
    [(c) => (c.promotion.approvalTimeoutSeconds = 31 * 86400), 'promotion.approvalTimeoutSeconds: Too big: expected number to be <=2592000'],
    [(c) => (c.promotion.approvalTimeoutSeconds = 60.5), 'promotion.approvalTimeoutSeconds: Invalid input: expected int, received number'],
  ],
  'promotion.reminderSeconds': [
    [(c) => (c.promotion.reminderSeconds = 0), 'promotion.reminderSeconds: Too small: expected number to be >=5'],
    [(c) => (c.promotion.reminderSeconds = '1h'), 'promotion.reminderSeconds: Invalid input: expected number, received string'],
  ],
  'promotion.funnel': [
    [(c) => (c.promotion.funnel = { https: 443, target: 80 }), 'promotion.funnel: Invalid input: expected array, received object'],
    [(c) => (c.promotion.funnel = ['443:80']), 'promotion.funnel.0: Invalid input: expected object, received string'],
  ],
  'promotion.funnel[].https': [
    [(c) => (c.promotion.funnel[1].https = 0), 'promotion.funnel.1.https: Too small: expected number to be >=1'],
    [(c) => delete c.promotion.funnel[0].https, 'promotion.funnel.0.https: Invalid input: expected number, received undefined'],
  ],
  'promotion.funnel[].target': [
    [(c) => (c.promotion.funnel[0].target = 65536), 'promotion.funnel.0.target: Too big: expected number to be <=65535'],
    [(c) => (c.promotion.funnel[1].target = '3001'), 'promotion.funnel.1.target: Invalid input: expected number, received string'],
  ],
  'promotion.deviceWait': [[(c) => (c.promotion.deviceWait = '14d'), 'promotion.deviceWait: Invalid input: expected object, received string']],
  'promotion.deviceWait.limitSeconds': [
    [(c) => (c.promotion.deviceWait.limitSeconds = 5), 'promotion.deviceWait.limitSeconds: Too small: expected number to be >=10'],
  ],
  'promotion.deviceWait.probeMaxSeconds': [
    [(c) => (c.promotion.deviceWait.probeMaxSeconds = 0), 'promotion.deviceWait.probeMaxSeconds: Too small: expected number to be >=1'],
    [(c) => (c.promotion.deviceWait.probeMaxSeconds = 3601), 'promotion.deviceWait.probeMaxSeconds: Too big: expected number to be <=3600'],
  ],
  'promotion.rollout': [[(c) => (c.promotion.rollout = 'rolling'), 'promotion.rollout: Invalid input: expected object, received string']],
  'promotion.rollout.strategy': [
    [
      (c) => (c.promotion.rollout.strategy = 'canary'),
      'promotion.rollout.strategy: Invalid option: expected one of "rolling"|"immediate"|"window"',
    ],
  ],
  'promotion.rollout.batchSize': [
    [(c) => (c.promotion.rollout.batchSize = 0), 'promotion.rollout.batchSize: Too small: expected number to be >=1'],
    [(c) => (c.promotion.rollout.batchSize = 1001), 'promotion.rollout.batchSize: Too big: expected number to be <=1000'],
  ],
  'promotion.rollout.pauseSeconds': [
    [(c) => (c.promotion.rollout.pauseSeconds = -1), 'promotion.rollout.pauseSeconds: Too small: expected number to be >=0'],
    [(c) => (c.promotion.rollout.pauseSeconds = 86401), 'promotion.rollout.pauseSeconds: Too big: expected number to be <=86400'],
  ],
  'promotion.rollout.maxFailures': [
    [(c) => (c.promotion.rollout.maxFailures = -1), 'promotion.rollout.maxFailures: Too small: expected number to be >=0'],
    [(c) => (c.promotion.rollout.maxFailures = 0.5), 'promotion.rollout.maxFailures: Invalid input: expected int, received number'],
  ],
  'promotion.rollout.concurrency': [
    [(c) => (c.promotion.rollout.concurrency = 0), 'promotion.rollout.concurrency: Too small: expected number to be >=1'],
  ],
  'promotion.rollout.window': [
    [(c) => delete c.promotion.rollout.window, 'promotion.rollout.window: strategy window needs a window: { start, end, timeZone }'],
    [(c) => (c.promotion.rollout.window = '22:00-06:00'), 'promotion.rollout.window: Invalid input: expected object, received string'],
  ],
  'promotion.rollout.window.start': [
    [(c) => (c.promotion.rollout.window.start = '24:00'), `promotion.rollout.window.start: ${LOCAL_TIME}`],
    [(c) => (c.promotion.rollout.window.start = '9:00'), `promotion.rollout.window.start: ${LOCAL_TIME}`],
  ],
  'promotion.rollout.window.end': [
    [(c) => (c.promotion.rollout.window.end = '06:60'), `promotion.rollout.window.end: ${LOCAL_TIME}`],
    [(c) => delete c.promotion.rollout.window.end, 'promotion.rollout.window.end: Invalid input: expected string, received undefined'],
    [(c) => (c.promotion.rollout.window.end = c.promotion.rollout.window.start), 'promotion.rollout.window.end: start and end must differ (a window of no time never opens)'],
  ],
  'promotion.rollout.window.timeZone': [
    [(c) => (c.promotion.rollout.window.timeZone = 'Mars/Olympus_Mons'), 'promotion.rollout.window.timeZone: must be an IANA time zone, e.g. Europe/Berlin'],
  ],
  backups: [[(c) => (c.backups = 'nightly'), 'backups: Invalid input: expected object, received string']],
  migration: [[(c) => (c.migration = 'once'), 'migration: Invalid input: expected object, received string']],
  'migration.keepSourceDays': [
    [(c) => (c.migration.keepSourceDays = 0), 'migration.keepSourceDays: Too small: expected number to be >0'],
    [(c) => (c.migration.keepSourceDays = 400), 'migration.keepSourceDays: Too big: expected number to be <=365'],
  ],
  'migration.dryRunTarget': [
    [(c) => (c.migration.dryRunTarget = 'staging'), 'migration.dryRunTarget: unknown environment "staging"'],
    [(c) => (c.migration.dryRunTarget = 'smoker'), 'migration.dryRunTarget: "smoker" has no database to copy into'],
  ],
  'migration.smokeCheck': [[(c) => (c.migration.smokeCheck = '/api/latest/smokes'), 'migration.smokeCheck: Invalid input: expected object, received string']],
  'migration.smokeCheck.collection': [[(c) => (c.migration.smokeCheck.collection = 'smokes; drop'), 'migration.smokeCheck.collection: a collection name: letters, digits and _']],
  'migration.smokeCheck.path': [[(c) => (c.migration.smokeCheck.path = 'api/latest'), 'migration.smokeCheck.path: a path like /api/latest/{collection}']],
  'migration.smokeCheck.port': [[(c) => (c.migration.smokeCheck.port = 70000), 'migration.smokeCheck.port: Too big: expected number to be <=65535']],
  'migration.checks': [
    [(c) => (c.migration.checks = 'look'), 'migration.checks: Invalid input: expected array, received string'],
    [(c) => (c.migration.checks = ['']), 'migration.checks.0: Too small: expected string to have >=1 characters'],
  ],
  metrics: [[(c) => (c.metrics = '127.0.0.1:9464'), 'metrics: Invalid input: expected object, received string']],
  codec: [[(c) => (c.codec = true), 'codec: Invalid input: expected object, received boolean']],
  'codec.required': [[(c) => (c.codec.required = 'yes'), 'codec.required: Invalid input: expected boolean, received string']],
  'metrics.address': [
    [(c) => (c.metrics.address = '9464'), 'metrics.address: must be HOST:PORT, e.g. 127.0.0.1:9464 (port 0: any free port)'],
    [(c) => (c.metrics.address = 'http://127.0.0.1:9464/metrics'), 'metrics.address: must be HOST:PORT, e.g. 127.0.0.1:9464 (port 0: any free port)'],
  ],
  'backups.store': [[(c) => (c.backups.store = ''), 'backups.store: Too small: expected string to have >=1 characters']],
  'backups.consistency': [[(c) => (c.backups.consistency = 'snapshot'), 'backups.consistency: Invalid option: expected one of "online"|"quiesce"']],
  'backups.validateWeekly': [[(c) => (c.backups.validateWeekly = 'sunday'), 'backups.validateWeekly: Invalid input: expected object, received string']],
  'backups.validateWeekly.day': [[(c) => (c.backups.validateWeekly.day = 'someday'), 'backups.validateWeekly.day: Invalid option: expected one of "monday"|"tuesday"|"wednesday"|"thursday"|"friday"|"saturday"|"sunday"']],
  'backups.validateWeekly.at': [[(c) => (c.backups.validateWeekly.at = '25:00'), 'backups.validateWeekly.at: must be a local time HH:MM']],
  'backups.keep': [[(c) => (c.backups.keep = 7), 'backups.keep: Invalid input: expected object, received number']],
  'backups.keep.daily': [[(c) => (c.backups.keep.daily = -1), 'backups.keep.daily: Too small: expected number to be >=0']],
  'backups.keep.weekly': [[(c) => (c.backups.keep.weekly = 1.5), 'backups.keep.weekly: Invalid input: expected int, received number']],
  'backups.keep.monthly': [[(c) => (c.backups.keep.monthly = 5000), 'backups.keep.monthly: Too big: expected number to be <=1000']],
  'backups.dailyAt': [[(c) => (c.backups.dailyAt = '2am'), 'backups.dailyAt: must be a local time HH:MM']],
  'backups.timeZone': [[(c) => (c.backups.timeZone = 'Mars/Olympus_Mons'), 'backups.timeZone: must be an IANA time zone, e.g. Europe/Berlin']],
};

const schema = schemaMap(configSchema);

describe('configuration', () => {
  it('accepts a valid file and fills in defaults', () => {
    const config = parseConfig(minimal(), file);
    const dev = config.environments['dev-cloud']!;
    expect(dev.port).toBe(22);
    expect(dev.user).toBe('root');
    expect(dev.health.timeoutSeconds).toBe(300);
    expect(dev.composeFile).toBe(join(dir, 'stack.yml'));
    expect(config.temporal.address).toBe('localhost:7233');
  });

  it('a smoke check asks for / with 200 expected unless told otherwise; an environment without checks has none', () => {
    const config = full();
    env(config).smoke = [{ name: 'frontend page', port: 80 }];
    expect(parseConfig(config, file).environments['dev-cloud']!.smoke).toEqual([{ name: 'frontend page', port: 80, path: '/', expectStatus: 200 }]);
    expect(parseConfig(minimal(), file).environments['dev-cloud']!.smoke).toEqual([]);
  });

  it('accepts the file with every field set', () => {
    const config = parseConfig(full(), file);
    expect(config.environments['dev-cloud']!.secrets.VAPID_KEY).toEqual({ file: join(dir, 'vapid.key') });
  });

  it.each([
    'http://127.0.0.1:3001/api/ready',
    'http://localhost/',
    'https://dev.example/api/health?full=1#top',
    'http://[::1]:8080/',
    'HTTP://DEV.EXAMPLE/',
  ])('accepts the health URL %j', (url) => {
    const config = full();
    config.environments['dev-cloud'].services.backend.http = url;
    expect(parseConfig(config, file).environments['dev-cloud']!.services.backend!.http).toBe(url);
  });

  it.each(["it's", 'line\nbreak', 'carriage\rreturn', 'trailing\n', 'plain', 'two words', '$HOME', 'say "hi"', 'back\\slash', ''])(
    'a setting %j is accepted exactly when the upload can write it to .env',
    (value) => {
      const config = full();
      config.environments['dev-cloud'].env.GREETING = value;
      expect(succeeds(() => parseConfig(config, file))).toBe(succeeds(() => envLine('GREETING', value)));
    },
  );

  const cases = Object.entries(INVALID).flatMap(([field, list]) =>
    list.map(([mutate, problem], i): [string, Mutation, string] => [`${field} #${i + 1}: ${problem}`, mutate, problem]),
  );
  it.each(cases)('%s', (_, mutate, problem) => {
    expect(problemsOf(mutate)).toEqual([problem]);
  });

  it('every field of the schema has an invalid case above, and every case a field', () => {
    const covered = new Set(Object.keys(INVALID));
    expect(schema.fields.filter((f) => !covered.has(f)), 'fields with no invalid case in INVALID').toEqual([]);
    expect([...covered].filter((f) => !schema.fields.includes(f)), 'cases for fields the schema does not have').toEqual([]);
  });

  it('every object of the schema refuses unknown fields', () => {
    expect(schema.objects.filter((o) => !o.strict).map((o) => o.path || '(top level)')).toEqual([]);
  });

  it.each([...new Set(schema.objects.map((o) => o.path))])('an unknown field in %j is named as a typo', (path) => {
    let expected: string[] = [];
    const problems = problemsOf((config) => {
      // An array of either a name or an object (promotion.approvers) has objects to try among its elements.
      const objects = valuesAt(config, path).filter(([, value]) => value !== null && typeof value === 'object');
      expect(objects.length, `full() has nothing at ${path || '(top level)'}: add it`).toBeGreaterThan(0);
      for (const [, object] of objects) object.typo = true;
      expected = objects.map(([at]) => `${at ? `${at}.` : ''}typo: unknown field (a typo?)`);
    });
    expect(problems.sort()).toEqual(expected.sort());
  });

  it('names the file when it is missing or not YAML', () => {
    expect(() => loadConfig(join(dir, 'absent.yml'))).toThrow(`invalid configuration in ${join(dir, 'absent.yml')}:\n  - the file does not exist`);
    writeFileSync(join(dir, 'broken.yml'), 'environments: [\n');
    expect(() => loadConfig(join(dir, 'broken.yml'))).toThrow(/broken\.yml[\s\S]*YAML/);
  });

  it('the lab configuration and the documented example are both valid', () => {
    expect(Object.keys(loadConfig(join(REPO_ROOT, 'smokestack.yml')).environments)).toEqual([
      'dev-cloud',
      'prod-cloud',
      'virtual-smoker',
      'smoker',
      'smoker-2',
      'smoker-3',
      'smokecloud',
    ]);
    // The example pins each host's key by a placeholder: refused as it is, naming the field; valid once filled in.
    const examplePath = join(REPO_ROOT, 'config/smart-smoker.example.yml');
    expect(() => loadConfig(examplePath)).toThrow(/environments\.dev-cloud\.hostKey: must be an SSH fingerprint/);
    const filled = join(dir, 'example-filled.yml');
    writeFileSync(filled, readFileSync(examplePath, 'utf8').replaceAll('SHA256:fill-in-from-ssh-keygen-lf-on-the-host', `SHA256:${'F'.repeat(43)}`).replaceAll('../compose/', `${REPO_ROOT}/compose/`));
    const example = loadConfig(filled);
    expect(Object.keys(example.environments)).toEqual(['dev-cloud', 'prod-cloud', 'virtual-smoker', 'smoker', 'smokecloud']);
    expect(example.promotion).toMatchObject({ from: ['dev-cloud', 'virtual-smoker'], to: 'prod-cloud', devices: ['smoker'] });
  });
});

describe('documentation', () => {
  it('docs/configuration.md is what the schema generates (run `npx smokestack config docs`)', async () => {
    const { configurationDocs } = await import('../../src/config/docs.ts');
    expect(readFileSync(join(REPO_ROOT, 'docs/configuration.md'), 'utf8')).toBe(configurationDocs());
  });
});
