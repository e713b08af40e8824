// Planning: the worker's configuration, validated, turned into a DeployPlan.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, loadConfig } from '../config/load.ts';
import { VERSION_PATTERN } from '../config/schema.ts';
import type { DeployInput, DeployPlan } from '../workflows/types.ts';
import { checkSecrets } from './secrets.ts';
import { sha256 } from './hash.ts';
import { failure } from '../workflows/failures.ts';

/** Plans a deploy from the configuration file the worker was started with. */
export async function planDeploy(configFile: string, input: DeployInput): Promise<DeployPlan> {
  if (!VERSION_PATTERN.test(input.version)) {
    throw failure('InvalidInput', `version "${input.version}" is not an image tag`);
  }
  let config;
  try {
    config = loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) throw failure('InvalidConfig', err.message);
    throw err;
  }
  const env = config.environments[input.environment];
  if (!env) {
    throw failure('InvalidInput', `unknown environment "${input.environment}"; known: ${Object.keys(config.environments).join(', ')}`);
  }
  checkSecrets(env.secrets);
  return {
    environment: input.environment,
    kind: env.kind,
    version: input.version,
    host: {
      host: env.host,
      port: env.port,
      user: env.user,
      privateKey: env.privateKey,
      connectTimeoutSeconds: env.connectTimeoutSeconds,
      hostKey: env.hostKey,
    },
    deployDir: env.deployDir,
    composeFile: env.composeFile,
    composeFileName: basename(env.composeFile),
    composeSha256: sha256(readFileSync(env.composeFile)),
    extraFiles: env.extraFiles,
    settings: env.env,
    secrets: env.secrets,
    services: env.services,
    holdDuringDeploy: env.holdDuringDeploy,
    database: env.database,
    health: env.health,
    minFreeDiskMb: env.minFreeDiskMb,
    retention: env.retention,
  };
}
