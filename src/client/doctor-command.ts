// `smokestack doctor`: everything a deploy needs, checked before one is
// tried, one line per check: the configuration, Temporal (namespace, search
// attributes, a worker polling), every host (SSH, Docker Engine and Compose
// against what the compose files need, free disk), the registry and the
// Discord webhook. Exits non-zero when a check fails; warnings do not fail.
// All checks start at once; lines are printed in a fixed order.
import { ConfigError, loadConfig } from '../config/load.ts';
import { temporalSettings } from '../temporal/connection.ts';
import { closeIdleConnections } from '../ssh/executor.ts';
import { checkTemporal } from '../doctor/temporal-checks.ts';
import { checkHost } from '../doctor/host-checks.ts';
import { checkRegistry } from '../doctor/registry-check.ts';
import { checkWebhook } from '../doctor/webhook-check.ts';
import { checkApprovers } from '../doctor/approvers-check.ts';
import { doctorExitCode, fail, ok, renderLine, type CheckLine } from '../doctor/lines.ts';

export async function runDoctor(configFile: string, write: (line: string) => void): Promise<number> {
  const lines: CheckLine[] = [];
  const print = (some: CheckLine[]) => {
    lines.push(...some);
    for (const line of some) write(renderLine(line));
  };

  let config;
  try {
    config = loadConfig(configFile);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Every other check reads the configuration: none can run without it.
    print([fail('config', `${configFile} is invalid (npx smokestack config shows the same):`)]);
    for (const problem of err.problems) write(`        - ${problem}`);
    return doctorExitCode(lines);
  }
  const names = Object.keys(config.environments);
  print([ok('config', `${configFile}: ${names.length} environments (${names.join(', ')})`)]);

  // A promotion's devices are off most of the time (the Pi): unreachable is then no failure.
  const oftenOff = new Set(config.promotion?.devices ?? []);
  const temporal = checkTemporal(temporalSettings(config));
  const hosts = Object.entries(config.environments).map(([name, env]) => checkHost(name, env, { oftenOff: oftenOff.has(name) }));
  const registry = config.promotion ? checkRegistry(config.promotion.registry.url) : undefined;
  const approvers = config.promotion ? checkApprovers(config.promotion) : undefined;

  try {
    print(await temporal);
    for (const host of hosts) print(await host);
    if (registry) print([await registry]);
    if (approvers) print(await approvers);
    print([checkWebhook(config)]);
  } finally {
    await closeIdleConnections();
  }

  const count = (status: CheckLine['status']) => lines.filter((l) => l.status === status).length;
  write(`${lines.length} checks: ${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failed`);
  return doctorExitCode(lines);
}
