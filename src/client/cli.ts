// The smokestack command line. Each command validates its input against the
// configuration first, then talks to Temporal; hosts are only ever reached
// by the worker.
import { Command, Option } from 'commander';
import { ConfigError, configPath, loadConfig } from '../config/load.ts';
import { configurationDocs } from '../config/docs.ts';
import { runDeploy } from './deploy-command.ts';
import { EXIT } from './exit-codes.ts';
import { deployRequest, InputError } from './input.ts';
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import { rollbackRequest } from './rollback-command.ts';
import { showStatus } from './status-command.ts';
import { connectClient, temporalSettings, TemporalUnreachableError, type TemporalSettings } from './temporal.ts';

const write = (line: string) => console.log(line);

const program = new Command('smokestack')
  .description('Durable deployments for Smart Smoker')
  .addOption(new Option('-c, --config <file>', 'configuration file').env('SMOKESTACK_CONFIG').default('smokestack.yml'))
  .showHelpAfterError();

program
  .command('deploy')
  .description('deploy a version of the stack to an environment')
  .argument('<environment>', 'environment name from the configuration')
  .requiredOption('-v, --version <tag>', 'image tag to deploy')
  .option('-w, --wait', 'follow the deploy to its end, exit non-zero unless it succeeded', false)
  .option('-q, --queue', 'if a deploy to this environment is running, wait for it, then start', false)
  .option('--requested-by <who>', 'who asked, for the record', process.env.GITHUB_ACTOR ?? process.env.USER)
  .action(async (environment: string, opts: { version: string; wait: boolean; queue: boolean; requestedBy?: string }) => {
    const config = loadConfig(configPath(program.opts().config));
    const input = deployRequest(config, environment, opts.version, opts.requestedBy);
    await withClient(config, async (client, settings) => {
      process.exitCode = (await runDeploy(client, settings, input, { wait: opts.wait, queue: opts.queue }, write)).exitCode;
    });
  });

program
  .command('status')
  .description('show the running deploy of an environment, or how the last one ended')
  .argument('<environment>', 'environment name from the configuration')
  .action(async (environment: string) => {
    const config = loadConfig(configPath(program.opts().config));
    deployRequest(config, environment, 'latest');
    await withClient(config, async (client, settings) => {
      process.exitCode = await showStatus(client, settings, environment, write);
    });
  });

program
  .command('rollback')
  .description('redeploy a recent successful version of an environment by its recorded digests')
  .argument('<environment>', 'environment name from the configuration')
  .option('-t, --to <version>', 'the version to return to (default: the one before the current)')
  .option('-w, --wait', 'follow the rollback to its end', false)
  .option('--requested-by <who>', 'who asked, for the record', process.env.GITHUB_ACTOR ?? process.env.USER)
  .action(async (environment: string, opts: { to?: string; wait: boolean; requestedBy?: string }) => {
    const config = loadConfig(configPath(program.opts().config));
    deployRequest(config, environment, opts.to ?? 'latest');
    await withClient(config, async (client, settings) => {
      const input = await rollbackRequest(client, environment, opts.to, opts.requestedBy);
      write(`rolling ${environment} back to ${input.version} (${input.images?.length ?? 0} images by digest)`);
      process.exitCode = (await runDeploy(client, settings, input, { wait: opts.wait }, write)).exitCode;
    });
  });

async function withClient(config: Config, fn: (client: Client, settings: TemporalSettings) => Promise<void>): Promise<void> {
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
  .action(() => {
    process.stdout.write(configurationDocs());
  });

config
  .command('check', { isDefault: true })
  .description('validate the configuration file and list its environments')
  .action(() => {
    const file = configPath(program.opts().config);
    const loaded = loadConfig(file);
    write(`${file}: valid`);
    for (const [name, env] of Object.entries(loaded.environments)) {
      write(`  ${name}: ${env.kind} stack on ${env.user}@${env.host}:${env.deployDir} (${Object.keys(env.services).join(', ')})`);
    }
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof InputError) {
    console.error(`error: ${err.message}`);
    process.exitCode = EXIT.invalid;
  } else if (err instanceof TemporalUnreachableError) {
    console.error(`error: ${err.message}`);
    process.exitCode = EXIT.unreachable;
  } else {
    console.error(err);
    process.exitCode = EXIT.failed;
  }
});
