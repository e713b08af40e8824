// Planning: the worker's configuration, validated, turned into a DeployPlan.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ConfigError, loadConfig } from '../config/load.ts';
import { VERSION_PATTERN, type Config, type EnvironmentConfig } from '../config/schema.ts';
import type { DeployInput, DeployPlan, HostTarget } from '../workflows/types.ts';
import { checkSecrets } from './secrets.ts';
import { sha256 } from './hash.ts';
import { failure } from '../workflows/failures.ts';
import { authorizeChange } from './approval/signatures.ts';

/** How the worker reaches an environment's host: never the key itself, only its path. */
export function hostTargetOf(env: EnvironmentConfig): HostTarget {
  return {
    host: env.host,
    port: env.port,
    user: env.user,
    privateKey: env.privateKey,
    connectTimeoutSeconds: env.connectTimeoutSeconds,
    hostKey: env.hostKey,
  };
}

/** The worker's configuration, read anew for each run; invalid, it fails the run without retries. */
export function workerConfig(configFile: string): Config {
  try {
    return loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) throw failure('InvalidConfig', err.message);
    throw err;
  }
}

/**
 * Plans a deploy from the configuration file the worker was started with.
 * The deploy's own plan (`authorize`) also checks that this run may change
 * the environment: a protected one only by a promotion or a signed request.
 */
export async function planDeploy(configFile: string, input: DeployInput, options: { authorize?: boolean } = {}): Promise<DeployPlan> {
  if (!VERSION_PATTERN.test(input.version)) {
    throw failure('InvalidInput', `version "${input.version}" is not an image tag`);
  }
  const config = workerConfig(configFile);
  const env = config.environments[input.environment];
  if (!env) {
    throw failure('InvalidInput', `unknown environment "${input.environment}"; known: ${Object.keys(config.environments).join(', ')}`);
  }
  checkSecrets(env.secrets);
  const digests = input.images?.map((image) => image.digest ?? image.imageId).sort();
  const authority = options.authorize
    ? await authorizeChange(config, { action: 'deploy', environment: input.environment, version: input.version, digests }, input.authorization)
    : undefined;
  return {
    environment: input.environment,
    ...(authority ? { authority } : {}),
    kind: env.kind,
    version: input.version,
    host: hostTargetOf(env),
    deployDir: env.deployDir,
    composeFile: env.composeFile,
    composeFileName: basename(env.composeFile),
    composeSha256: sha256(readFileSync(env.composeFile)),
    extraFiles: env.extraFiles,
    readableExtraFiles: env.readableExtraFiles,
    settings: env.env,
    secrets: env.secrets,
    services: env.services,
    holdDuringDeploy: env.holdDuringDeploy,
    database: env.database,
    health: env.health,
    minFreeDiskMb: env.minFreeDiskMb,
    retention: env.retention,
    smoke: env.smoke,
  };
}
