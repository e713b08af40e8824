// `smokestack setup`: what a Temporal server needs before smokestack's first
// run: its search attributes registered, and, with a `backups:` section, the
// backup and validation schedules (the very code of `schedules apply`).
// Safe to run again: what is there already is left alone and said so.
import type { Client } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import type { TemporalSettings } from '../temporal/connection.ts';
import { compareSearchAttributes, indexedValueType, typeName, wrongTypeAdvice } from '../doctor/search-attributes.ts';
import { applySchedules } from './schedules-command.ts';
import { EXIT } from './exit-codes.ts';
import { InputError } from './input.ts';

const GRPC_NOT_FOUND = 5;

export async function runSetup(client: Client, config: Config, settings: TemporalSettings, write: (line: string) => void): Promise<number> {
  const { namespace } = settings;
  const operator = client.connection.operatorService;
  const { customAttributes } = await operator.listSearchAttributes({ namespace }).catch((err: { code?: number }) => {
    if (err.code === GRPC_NOT_FOUND) throw new InputError(`Temporal has no namespace ${namespace}: temporal operator namespace create --namespace ${namespace}`);
    throw err;
  });
  const state = compareSearchAttributes(customAttributes ?? {});
  // Temporal cannot change an attribute's type: refuse before adding anything (exit 2), and say how to fix it.
  if (state.wrongType.length) throw new InputError(wrongTypeAdvice(state, namespace));
  for (const name of state.present) write(`search attribute ${name}: already there`);
  if (state.missing.length) {
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(state.missing.map((a) => [a.name, indexedValueType(a.type)])),
    });
    for (const a of state.missing) write(`search attribute ${a.name}: created (${typeName(indexedValueType(a.type))})`);
  }

  if (!config.backups) {
    write('schedules: none (the configuration has no backups section)');
    return EXIT.succeeded;
  }
  return applySchedules(client, config, settings, write);
}
