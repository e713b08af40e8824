// Which environments are production: changed only by a promotion, or by an
// approver's signed request. One rule for the CLI (which asks for --sign
// before it starts anything) and the worker (which refuses without it).
import type { Config } from './schema.ts';

/** promotion.to, promotion.devices, and every environment marked `protected: true`. */
export function protectedEnvironments(config: Config): Set<string> {
  const names = Object.entries(config.environments)
    .filter(([, env]) => env.protected)
    .map(([name]) => name);
  if (config.promotion) names.push(config.promotion.to, ...config.promotion.devices);
  return new Set(names);
}

export const isProtected = (config: Config, environment: string): boolean => protectedEnvironments(config).has(environment);
