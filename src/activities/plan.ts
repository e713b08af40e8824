// Planning: the worker's configuration, validated, turned into a DeployPlan.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ConfigError, loadConfig } from '../config/load.ts';
import { VERSION_PATTERN } from '../config/schema.ts';
import type { DeployInput, DeployPlan } from '../workflows/types.ts';
import { checkSecrets } from './secrets.ts';

/** Plans a deploy from the configuration file the worker was started with. */
export async function planDeploy(configFile: string, input: DeployInput): Promise<DeployPlan> {
  if (!VERSION_PATTERN.test(input.version)) {
    throw ApplicationFailure.nonRetryable(`version "${input.version}" is not an image tag`, 'InvalidInput');
  }
  let config;
  try {
    config = loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidConfig');
    throw err;
  }
  const env = config.environments[input.environment];
  if (!env) {
    throw ApplicationFailure.nonRetryable(
      `unknown environment "${input.environment}"; known: ${Object.keys(config.environments).join(', ')}`,
      'InvalidInput',
    );
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
  };
}

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');
