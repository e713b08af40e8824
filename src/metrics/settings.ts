// Where the worker serves its metrics: the config's `metrics.address`,
// overridden by $SMOKESTACK_METRICS_ADDRESS; neither set: no metrics.
import { configSchema, type Config } from '../config/schema.ts';

export interface ListenAddress {
  host: string;
  port: number;
}

/** The schema's own rule for an address, so the variable is held to what the file is. */
const addressRule = configSchema.shape.metrics.unwrap().shape.address;

export function metricsAddress(config: Pick<Config, 'metrics'>, env: NodeJS.ProcessEnv = process.env): ListenAddress | undefined {
  const fromEnv = env.SMOKESTACK_METRICS_ADDRESS?.trim();
  if (fromEnv) {
    const checked = addressRule.safeParse(fromEnv);
    if (!checked.success) throw new Error(`SMOKESTACK_METRICS_ADDRESS="${fromEnv}": ${checked.error.issues[0]?.message}`);
    return parseAddress(checked.data);
  }
  return config.metrics ? parseAddress(config.metrics.address) : undefined;
}

/** "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:0" as a host and a port (brackets dropped). */
export function parseAddress(address: string): ListenAddress {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon < 1 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`"${address}" is not HOST:PORT with a port from 0 to 65535`);
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}
