// The smokestack command line. Each command validates its input against the
// configuration first, then talks to Temporal; hosts are only ever reached
// by the worker (and read, never changed, by `doctor`).
//
// Only commander is loaded up front: every command imports what it needs
// when it runs, so `--help` and a mistyped argument answer at once instead
// of first loading YAML, zod and the Temporal client (issue 6).
import { Command, Option } from 'commander';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import { EXIT } from './exit-codes.ts';
import type { TemporalSettings } from '../temporal/connection.ts';

const write = (line: string) => console.log(line);

/** A protected environment (production) changes outside a promotion only with an approver's signature. */
const withSigning = (command: Command): Command =>
  command
    .option('--sign', "sign the request with your SSH key: a protected environment (production) changes only with an approver's signature, or through a promotion", false)
    .option('--as <name>', 'who signs, as listed in promotion.approvers (default: $GITHUB_ACTOR, else $USER)')
    .option('--key <file>', 'your SSH key: a private key, or its .pub with the key in ssh-agent (default: $SMOKESTACK_SIGNING_KEY, else ~/.ssh/id_ed25519)')
    .option('--reason <why>', 'why, for the record (signed, with --sign)');

interface SignOpts {
  sign: boolean;
  as?: string;
  key?: string;
  reason?: string;
}

const program = new Command('smokestack')
  .description('Durable deployments for Smart Smoker')
  .addOption(new Option('-c, --config <file>', 'configuration file').env('SMOKESTACK_CONFIG').default('smokestack.yml'))
  .showHelpAfterError();

withSigning(program
  .command('deploy'))
  .description('deploy a version of the stack to an environment')
  .argument('<environment>', 'environment name from the configuration')
  .requiredOption('-v, --version <tag>', 'image tag to deploy')
  .option('-w, --wait', 'follow the deploy to its end, exit non-zero unless it succeeded', false)
  .option('-q, --queue', 'if a deploy to this environment is running, wait for it, then start', false)
  .option('--requested-by <who>', 'who asked, for the record', process.env.GITHUB_ACTOR ?? process.env.USER)
  .option(
    '--allow-unhealthy-current',
    'deploy even though the running version fails its own health check; a failure then restores it without requiring it to pass',
    false,
  )
  .action(async (environment: string, opts: SignOpts & { version: string; wait: boolean; queue: boolean; requestedBy?: string; allowUnhealthyCurrent: boolean }) => {
    const config = await loadChosenConfig();
    const { deployRequest } = await import('./input.ts');
    const input = deployRequest(config, environment, opts.version, opts.requestedBy);
    if (opts.allowUnhealthyCurrent) input.allowUnhealthyCurrent = true;
    const { changeAuthorization } = await import('./signing.ts');
    const { temporalSettings } = await import('../temporal/connection.ts');
    const authorization = await changeAuthorization(config, temporalSettings(config).namespace, { action: 'deploy', environment, version: input.version }, opts, write);
    if (authorization) input.authorization = authorization;
    const { runDeploy } = await import('./deploy-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = (await runDeploy(client, settings, input, { wait: opts.wait, queue: opts.queue }, write)).exitCode;
    });
  });

program
  .command('status')
  .description('show the running deploy of an environment, or how the last one ended; `status production` shows the promotion')
  .argument('<environment>', 'environment name from the configuration')
  .action(async (environment: string) => {
    const config = await loadChosenConfig();
    if (environment === 'production' && !('production' in config.environments)) {
      await promotionConfigOf(config);
      const { showPromotionStatus } = await import('./promote-command.ts');
      await withClient(config, async (client, settings) => {
        process.exitCode = await showPromotionStatus(client, settings, write);
      });
      return;
    }
    const { deployRequest } = await import('./input.ts');
    deployRequest(config, environment, 'latest');
    const { showStatus } = await import('./status-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await showStatus(client, settings, environment, write);
    });
  });

withSigning(program
  .command('rollback'))
  .description('redeploy a recent successful version of an environment by its recorded digests')
  .argument('<environment>', 'environment name from the configuration')
  .option('-t, --to <version>', 'the version to return to (default: the one before the current)')
  .option('-w, --wait', 'follow the rollback to its end', false)
  .option('--requested-by <who>', 'who asked, for the record', process.env.GITHUB_ACTOR ?? process.env.USER)
  .action(async (environment: string, opts: SignOpts & { to?: string; wait: boolean; requestedBy?: string }) => {
    const config = await loadChosenConfig();
    const { deployRequest } = await import('./input.ts');
    deployRequest(config, environment, opts.to ?? 'latest');
    const { changeAuthorization } = await import('./signing.ts');
    const { isProtected } = await import('../config/protection.ts');
    const { InputError } = await import('./input.ts');
    if (isProtected(config, environment) && !opts.sign) {
      throw new InputError(`${environment} is protected: a rollback there needs an approver's signed request: add --sign --as NAME --reason "…" [--key FILE] (docs/promotion.md)`);
    }
    const { rollbackRequest } = await import('./rollback-command.ts');
    const { runDeploy } = await import('./deploy-command.ts');
    await withClient(config, async (client, settings) => {
      const input = await rollbackRequest(client, environment, opts.to, opts.requestedBy);
      const digests = input.images?.map((image) => image.digest ?? image.imageId).sort();
      const authorization = await changeAuthorization(config, settings.namespace, { action: 'deploy', environment, version: input.version, digests }, opts, write);
      if (authorization) input.authorization = authorization;
      write(`rolling ${environment} back to ${input.version} (${input.images?.length ?? 0} images by digest)`);
      process.exitCode = (await runDeploy(client, settings, input, { wait: opts.wait }, write)).exitCode;
    });
  });

const whoAmI = (): string | undefined => process.env.GITHUB_ACTOR ?? process.env.USER;

program
  .command('promote')
  .description("promote what dev runs now, by digest, to production as RELEASE, once an approver says yes")
  .argument('<release>', 'the new release tag, e.g. v1.4.0')
  .option('-w, --wait', 'follow the promotion to its end (it waits for approval and for devices: hours or days)', false)
  .option('--requested-by <who>', 'who asked, for the record; may not approve it', whoAmI())
  .action(async (release: string, opts: { wait: boolean; requestedBy?: string }) => {
    const config = await loadChosenConfig();
    await promotionConfigOf(config);
    await checkRelease(release);
    const { runPromote } = await import('./promote-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await runPromote(client, settings, { release, requestedBy: opts.requestedBy }, { wait: opts.wait }, write);
    });
  });

for (const answer of ['approve', 'reject'] as const) {
  program
    .command(answer)
    .description(`${answer} the pending promotion of RELEASE with your SSH key (approvers only; the requester may not approve)`)
    .argument('<release>', 'the release waiting for approval')
    .requiredOption('-r, --reason <why>', 'why, for the record (signed)')
    .option('--as <name>', 'who answers, as listed in promotion.approvers (default: $GITHUB_ACTOR, else $USER)')
    .option('--key <file>', 'your SSH key: a private key, or its .pub with the key in ssh-agent (default: $SMOKESTACK_SIGNING_KEY, else ~/.ssh/id_ed25519)')
    .option('--print-signal', "print the signed answer as JSON for the Web UI's \"Send a Signal\" instead of sending it", false)
    .action(async (release: string, opts: { reason: string; as?: string; key?: string; printSignal: boolean }) => {
      const config = await loadChosenConfig();
      await promotionConfigOf(config);
      await checkRelease(release);
      const { requireReason, signerName, signingKey } = await import('./signing.ts');
      const options = { by: signerName(opts.as), reason: requireReason(opts.reason, `an ${answer}`), keyFile: signingKey(opts.key), printSignal: opts.printSignal };
      const { answerPromotion } = await import('./promote-command.ts');
      await withClient(config, async (client, settings) => {
        process.exitCode = await answerPromotion(client, settings, answer, release, options, write);
      });
    });
}

const hosts = program.command('hosts').description("the hosts' SSH keys: nothing connects to a host whose key is not pinned");
hosts
  .command('trust')
  .description("fetch ENV's SSH host key, show its SHA256 fingerprint, and pin it once you confirm")
  .argument('<environment>', 'environment name from the configuration')
  .option('-y, --yes', 'pin it without asking (for scripts that checked the fingerprint another way)', false)
  .addHelpText('after', '\nExample:\n  smokestack hosts trust prod-cloud\n\nExit codes: 0 pinned (or already), 2 not pinned (refused, no key presented, or bad input).')
  .action(async (environment: string, opts: { yes: boolean }) => {
    const { configPath, loadConfig } = await import('../config/load.ts');
    const file = configPath(program.opts().config);
    const config = loadConfig(file, { requireHostKeys: false });
    const { trustHost } = await import('./hosts-command.ts');
    process.exitCode = await trustHost(config, file, environment, opts, write);
  });

program
  .command('audit')
  .description("check every signed answer and signed request of RELEASE again, against the approvers' keys in this configuration")
  .argument('<release>', 'the release, e.g. v1.4.0')
  .addHelpText('after', '\nExample:\n  smokestack audit v1.4.0\n\nExit codes: 0 every signature good, 1 a signature is bad, 2 bad input, 6 Temporal unreachable.')
  .action(async (release: string) => {
    const config = await loadChosenConfig();
    await promotionConfigOf(config);
    await checkRelease(release);
    const { runAudit } = await import('./audit-command.ts');
    await withClient(config, async (client) => {
      process.exitCode = await runAudit(client, config, release, write);
    });
  });

program
  .command('device-online')
  .description("tell a waiting promotion that DEVICE is on (a device's boot hook runs this)")
  .argument('<device>', 'device environment name from the configuration')
  .action(async (device: string) => {
    const config = await loadChosenConfig();
    const { InputError } = await import('./input.ts');
    const { devices } = await promotionConfigOf(config);
    if (!devices.includes(device)) {
      throw new InputError(`"${device}" is not a device of the promotion; devices: ${devices.join(', ') || 'none'}`);
    }
    const { deviceOnline } = await import('./promote-command.ts');
    await withClient(config, async (client) => {
      process.exitCode = await deviceOnline(client, device, write);
    });
  });

program
  .command('backup')
  .description('back up the database of ENV now: a dump on its host, a copy off it, then rotation')
  .argument('<environment>', 'environment name from the configuration (one with a database)')
  .option('-w, --wait', 'follow the backup to its end, exit non-zero unless it succeeded', false)
  .option('--requested-by <who>', 'who asked, for the record', whoAmI())
  .action(async (environment: string, opts: { wait: boolean; requestedBy?: string }) => {
    const config = await loadChosenConfig();
    await checkBackedUp(config, environment);
    const { runBackup } = await import('./backup-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await runBackup(client, settings, { environment, requestedBy: opts.requestedBy, trigger: 'manual' }, { wait: opts.wait }, write);
    });
  });

program
  .command('backups')
  .description("list ENV's backups, on its host and off it, with age, size, validation and the rotation rule that keeps each")
  .argument('<environment>', 'environment name from the configuration (one with a database)')
  .action(async (environment: string) => {
    const config = await loadChosenConfig();
    await checkBackedUp(config, environment);
    const { showBackups } = await import('./backup-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await showBackups(client, settings, environment, write);
    });
  });

withSigning(program
  .command('restore'))
  .description("restore ENV's database from a backup (the newest unless --backup): prints the plan, and runs it only with --yes")
  .argument('<environment>', 'environment name from the configuration (one with a database)')
  .option('-b, --backup <id>', 'the backup to restore (see `smokestack backups ENV`)')
  .option('-y, --yes', 'run the restore: the live database is replaced (a safety backup is taken first)', false)
  .option('-w, --wait', 'follow the restore to its end', false)
  .option('--requested-by <who>', 'who asked, for the record', whoAmI())
  .action(async (environment: string, opts: SignOpts & { backup?: string; yes: boolean; wait: boolean; requestedBy?: string }) => {
    const config = await loadChosenConfig();
    await checkBackedUp(config, environment);
    const { runRestore } = await import('./backup-command.ts');
    const { changeAuthorization } = await import('./signing.ts');
    const { InputError } = await import('./input.ts');
    const { isProtected } = await import('../config/protection.ts');
    if (opts.yes && opts.sign && !opts.backup) throw new InputError('a signed restore names its backup: --backup ID (see `smokestack backups ENV`)');
    if (opts.yes && isProtected(config, environment) && !opts.backup) {
      throw new InputError(`${environment} is protected: a restore there names its backup (--backup ID) and needs an approver's signed request (--sign --as NAME --reason "…")`);
    }
    const { temporalSettings } = await import('../temporal/connection.ts');
    const authorization = opts.yes
      ? await changeAuthorization(config, temporalSettings(config).namespace, { action: 'restore', environment, backupId: opts.backup }, opts, write)
      : undefined;
    await withClient(config, async (client, settings) => {
      const input = { environment, backupId: opts.backup, requestedBy: opts.requestedBy, ...(authorization ? { authorization } : {}) };
      process.exitCode = await runRestore(client, settings, input, { yes: opts.yes, wait: opts.wait }, write);
    });
  });

program
  .command('validate')
  .description("prove a backup of ENV (the newest unless --backup): restore it into a scratch database on its host, compare with its manifest, record the verdict")
  .argument('<environment>', 'environment name from the configuration (one with a database)')
  .option('-b, --backup <id>', 'the backup to validate (see `smokestack backups ENV`)')
  .option('-w, --wait', 'follow the validation to its end, exit non-zero unless the backup passed', false)
  .option('--requested-by <who>', 'who asked, for the record', whoAmI())
  .action(async (environment: string, opts: { backup?: string; wait: boolean; requestedBy?: string }) => {
    const config = await loadChosenConfig();
    await checkBackedUp(config, environment);
    const { runValidate } = await import('./validate-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await runValidate(client, settings, { environment, backupId: opts.backup, requestedBy: opts.requestedBy, trigger: 'manual' }, { wait: opts.wait }, write);
    });
  });

const migrate = withSigning(program
  .command('migrate'))
  .description("move a database to another host once (the old cloud Pi to prod-cloud), losing nothing: prints the plan, and runs it only with --yes")
  .option('--from <environment>', 'the environment whose database moves (e.g. smokecloud)')
  .option('--to <environment>', 'where it moves (e.g. prod-cloud)')
  .option('--dry-run', 'copy into the dry-run target (migration.dryRunTarget, dev-cloud) instead, leaving the source running and untouched', false)
  .option('-y, --yes', 'run it: the source stops for the maintenance window', false)
  .option('-w, --wait', 'follow the migration to its end', false)
  .option('--force', 'migrate a source that was migrated already (its target is overwritten with the source\'s data)', false)
  .option('--requested-by <who>', 'who asked, for the record', whoAmI())
  .action(async (opts: SignOpts & { from?: string; to?: string; dryRun: boolean; yes: boolean; wait: boolean; force: boolean; requestedBy?: string }) => {
    const config = await loadChosenConfig();
    const input: import('../workflows/types.ts').MigrateInput = await migrationInput(config, opts);
    if (opts.yes) {
      const { changeAuthorization } = await import('./signing.ts');
      const { temporalSettings } = await import('../temporal/connection.ts');
      const authorization = await changeAuthorization(config, temporalSettings(config).namespace, { action: 'migrate', environment: input.to, from: input.from }, opts, write);
      if (authorization) input.authorization = authorization;
    }
    const { runMigrate } = await import('./migrate-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await runMigrate(client, settings, input, { yes: opts.yes, wait: opts.wait, force: opts.force }, write);
    });
  });
migrate
  .command('status')
  .description('where the migration of a source stands: its steps, its downtime, the countdown until the old host may go')
  .option('--from <environment>', 'the source whose migration to show (default: smokecloud, the old cloud Pi)', 'smokecloud')
  .action(async (opts: { from: string }) => {
    const config = await loadChosenConfig();
    if (!config.environments[opts.from]) {
      const { InputError } = await import('./input.ts');
      throw new InputError(`unknown environment "${opts.from}"; known: ${Object.keys(config.environments).join(', ')}`);
    }
    const { showMigration } = await import('./migrate-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await showMigration(client, settings, opts.from, write);
    });
  });

const schedules = program.command('schedules').description('Temporal schedules from the configuration: the daily backups and the weekly validations');
schedules
  .command('list', { isDefault: true })
  .description('list the schedules with their next runs')
  .action(async () => {
    const config = await loadChosenConfig();
    const { listSchedules } = await import('./schedules-command.ts');
    await withClient(config, async (client) => {
      process.exitCode = await listSchedules(client, write);
    });
  });
schedules
  .command('apply')
  .description('create or update the schedules the configuration asks for (idempotent)')
  .action(async () => {
    const config = await loadChosenConfig();
    const { applySchedules } = await import('./schedules-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await applySchedules(client, config, settings, write);
    });
  });

program
  .command('doctor')
  .description('check everything a deploy needs: configuration, Temporal, a worker, every host, the registry, the Discord webhook; exit non-zero if a check fails')
  .action(async () => {
    const [{ configPath }, { runDoctor }] = await Promise.all([import('../config/load.ts'), import('./doctor-command.ts')]);
    process.exitCode = await runDoctor(configPath(program.opts().config), write);
  });

program
  .command('setup')
  .description("prepare Temporal for smokestack: register its search attributes, apply the schedules (idempotent)")
  .action(async () => {
    const config = await loadChosenConfig();
    const { runSetup } = await import('./setup-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await runSetup(client, config, settings, write);
    });
  });

/** An environment whose database is backed up, or a clear refusal before Temporal is asked anything. */
async function checkBackedUp(config: Config, environment: string): Promise<void> {
  const { InputError } = await import('./input.ts');
  const env = config.environments[environment];
  if (!env) throw new InputError(`unknown environment "${environment}"; known: ${Object.keys(config.environments).join(', ')}`);
  if (!env.database) throw new InputError(`${environment} has no database to back up (no \`database:\` in its config)`);
  if (!config.backups) throw new InputError('the configuration has no backups section: see docs/backups.md');
}

/** A migration's ends, checked against the configuration before Temporal is asked. */
async function migrationInput(config: Config, opts: { from?: string; to?: string; dryRun: boolean; requestedBy?: string }) {
  const { InputError } = await import('./input.ts');
  if (!opts.from || !opts.to) throw new InputError('say which database moves where: smokestack migrate --from SOURCE --to TARGET (see `smokestack migrate --help`)');
  const { migrationSettings } = await import('../config/schema.ts');
  const to = opts.dryRun ? migrationSettings(config).dryRunTarget : opts.to;
  for (const [role, name] of [['--from', opts.from], ['--to', opts.to], ...(opts.dryRun ? [['migration.dryRunTarget', to]] : [])] as const) {
    const env = config.environments[name];
    if (!env) throw new InputError(`${role}: unknown environment "${name}"; known: ${Object.keys(config.environments).join(', ')}`);
    if (!env.database) throw new InputError(`${role}: ${name} has no database (no \`database:\` in its config)`);
  }
  if (opts.from === opts.to) throw new InputError(`--from and --to are both ${opts.from}: a migration moves a database to another host`);
  if (opts.dryRun && to === opts.from) throw new InputError(`the dry-run target (migration.dryRunTarget) is ${to}, the source itself`);
  if (!config.backups) throw new InputError('the configuration has no backups section: a migration backs both ends up first (see docs/backups.md)');
  return { from: opts.from, to, dryRun: opts.dryRun, requestedBy: opts.requestedBy };
}

/** The promotion section, or a clear refusal. */
async function promotionConfigOf(config: Config): Promise<NonNullable<Config['promotion']>> {
  if (config.promotion) return config.promotion;
  const { InputError } = await import('./input.ts');
  throw new InputError(`the configuration has no promotion section: see docs/promotion.md`);
}

async function checkRelease(release: string): Promise<void> {
  const [{ releaseProblem }, { InputError }] = await Promise.all([import('../config/release.ts'), import('./input.ts')]);
  const problem = releaseProblem(release);
  if (problem) throw new InputError(problem);
}

/** The file named by --config (or $SMOKESTACK_CONFIG), validated; with codec.required, codec keys too. */
async function loadChosenConfig(): Promise<Config> {
  const [{ configPath, loadConfig }, { requireCodecKeys }] = await Promise.all([import('../config/load.ts'), import('../codec/keys.ts')]);
  const config = loadConfig(configPath(program.opts().config));
  requireCodecKeys(config);
  return config;
}

async function withClient(config: Config, fn: (client: Client, settings: TemporalSettings) => Promise<void>): Promise<void> {
  const { connectClient, temporalSettings } = await import('../temporal/connection.ts');
  const settings = temporalSettings(config);
  const client = await connectClient(settings);
  try {
    await fn(client, settings);
  } finally {
    await client.connection.close();
  }
}

const config = program.command('config').description('validate the configuration file, or print its documentation');

config
  .command('docs')
  .description('print the documentation of every configuration field (docs/configuration.md)')
  .action(async () => {
    const { configurationDocs } = await import('../config/docs.ts');
    process.stdout.write(configurationDocs());
  });

config
  .command('check', { isDefault: true })
  .description('validate the configuration file and list its environments')
  .action(async () => {
    const { configPath, loadConfig } = await import('../config/load.ts');
    const file = configPath(program.opts().config);
    const loaded = loadConfig(file);
    write(`${file}: valid`);
    for (const [name, env] of Object.entries(loaded.environments)) {
      write(`  ${name}: ${env.kind} stack on ${env.user}@${env.host}:${env.deployDir} (${Object.keys(env.services).join(', ')})`);
    }
  });

program
  .command('codec-server')
  .description("serve Temporal's remote codec protocol, so the Web UI shows encrypted payloads decoded (docs/encryption.md)")
  .option('-p, --port <n>', 'port to listen on', (v) => Number.parseInt(v, 10), 8081)
  .option('--host <ip>', 'address to listen on (whoever reaches it with the token can decrypt)', '127.0.0.1')
  .option('--origin <url...>', "the Web UI's URL, allowed to call from a browser (default: temporal.uiUrl)")
  .option('--token-file <file>', 'the file holding the token every request must carry (default: $SMOKESTACK_CODEC_TOKEN_FILE, else $SMOKESTACK_CODEC_TOKEN)')
  .option('--allow-encode', 'also answer POST .../encode, so the Web UI can encrypt what it sends (signals): it makes ciphertext the worker trusts', false)
  .option('--allowed-host <host:port...>', 'Host headers to answer besides the listen address, for a proxy in front that passes its own name')
  .addHelpText('after', '\nThe Web UI\'s codec endpoint: http://HOST:PORT/<token>; the Temporal CLI: --codec-endpoint http://HOST:PORT --codec-auth "Bearer <token>".')
  .action(async (opts: { port: number; host: string; origin?: string[]; tokenFile?: string; allowEncode: boolean; allowedHost?: string[] }) => {
    const origins = opts.origin ?? [(await import('../temporal/connection.ts')).temporalSettings(await loadChosenConfig()).uiUrl];
    const { runCodecServer } = await import('./codec-server-command.ts');
    const { port, host, tokenFile, allowEncode, allowedHost: allowedHosts } = opts;
    await runCodecServer({ port, host, origins, tokenFile, allowEncode, allowedHosts }, write);
  });

const db = program.command('db').description("a cloud environment's database");

db
  .command('users')
  .description("create the database users (root, app, backup), or update them when they exist; passwords come from the environment's secrets")
  .argument('<environment>', 'environment name from the configuration')
  .option('--requested-by <who>', 'who asked, for the record', whoAmI())
  .action(async (environment: string, opts: { requestedBy?: string }) => {
    const config = await loadChosenConfig();
    const { InputError } = await import('./input.ts');
    const env = config.environments[environment];
    if (!env) throw new InputError(`unknown environment "${environment}"; known: ${Object.keys(config.environments).join(', ')}`);
    if (!env.database) throw new InputError(`environment ${environment} has no database (no \`database:\` in the configuration)`);
    const { root, app } = env.database.users;
    const missing = [root.secret, app.secret].filter((name) => !(name in env.secrets));
    if (missing.length) throw new InputError(`environment ${environment}: the root and app users need their passwords, and secrets has no ${missing.join(', ')}`);
    const { runDatabaseUsers } = await import('./db-users-command.ts');
    await withClient(config, async (client, settings) => {
      process.exitCode = await runDatabaseUsers(client, settings, { environment, requestedBy: opts.requestedBy }, write);
    });
  });

/** Known failures get one line and the exit code that names them; anything else is a bug and gets its stack. */
async function exitCodeFor(err: unknown): Promise<number> {
  // Whatever threw one of these has loaded its module already: importing it again costs nothing.
  const [{ ConfigError }, { InputError }, { TemporalUnreachableError }, { MissingCodecKeysError }] = await Promise.all([
    import('../config/load.ts'),
    import('./input.ts'),
    import('../temporal/connection.ts'),
    import('../codec/keys.ts'),
  ]);
  if (err instanceof ConfigError || err instanceof InputError) {
    console.error(`error: ${err.message}`);
    return EXIT.invalid;
  }
  // An encrypted payload met without keys: the SDK may have wrapped the codec's error.
  for (let cause: unknown = err, depth = 0; cause instanceof Error && depth < 8; cause = cause.cause, depth++) {
    if (cause instanceof MissingCodecKeysError) {
      console.error(`error: ${cause.message}`);
      return EXIT.invalid;
    }
  }
  if (err instanceof TemporalUnreachableError) {
    console.error(`error: ${err.message}`);
    return EXIT.unreachable;
  }
  console.error(err);
  return EXIT.failed;
}

program.parseAsync(process.argv).catch(async (err: unknown) => {
  process.exitCode = await exitCodeFor(err);
});
