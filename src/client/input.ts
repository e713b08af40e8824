// The client checks a request against the configuration before it starts
// anything, so a typo never reaches Temporal, let alone a host.
import type { Config } from '../config/schema.ts';
import { versionSchema } from '../config/schema.ts';
import type { DeployInput } from '../workflows/types.ts';

export class InputError extends Error {
  override name = 'InputError';
}

export function deployRequest(config: Config, environment: string, version: string | undefined, requestedBy?: string): DeployInput {
  if (!(environment in config.environments)) {
    throw new InputError(`unknown environment "${environment}"; known: ${Object.keys(config.environments).join(', ')}`);
  }
  if (version === undefined) throw new InputError('--version is required');
  const checked = versionSchema.safeParse(version);
  if (!checked.success) throw new InputError(`--version "${version}" ${checked.error.issues[0]?.message ?? 'is invalid'}`);
  return { environment, version, requestedBy };
}
