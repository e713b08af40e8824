// `smokestack db users ENV`: start the databaseUsers workflow, wait for it,
// and say what became of each user. The passwords stay on the worker: this
// side sees names only.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { databaseUsersWorkflowId } from '../workflows/definitions.ts';
import { failureTypeOf, messageOf, REFUSED_BEFORE_CHANGE } from '../workflows/failures.ts';
import type { DatabaseUsersInput, DatabaseUsersResult } from '../workflows/types.ts';
import { ENVIRONMENT } from '../temporal/search-attributes.ts';
import { runUrl, type TemporalSettings } from '../temporal/connection.ts';
import { EXIT } from './exit-codes.ts';

export const databaseUsersSummary = (input: DatabaseUsersInput): string =>
  `database users of ${input.environment}${input.requestedBy ? `, requested by ${input.requestedBy}` : ''}`;

export async function runDatabaseUsers(client: Client, settings: TemporalSettings, input: DatabaseUsersInput, write: (line: string) => void): Promise<number> {
  const workflowId = databaseUsersWorkflowId(input.environment);
  let handle;
  try {
    handle = await client.workflow.start('databaseUsers', {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [input],
      staticSummary: databaseUsersSummary(input),
      typedSearchAttributes: [{ key: ENVIRONMENT, value: input.environment }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    write(`refused: the database users of ${input.environment} are being set already: ${workflowId}`);
    return EXIT.busy;
  }
  write(`database users -> ${input.environment}: ${workflowId}`);
  write(`  Web UI: ${runUrl(settings, workflowId, handle.firstExecutionRunId)}`);
  try {
    const result: DatabaseUsersResult = await handle.result();
    for (const line of resultLines(result)) write(line);
    return EXIT.succeeded;
  } catch (err) {
    const type = failureTypeOf(err);
    write(`failed: ${messageOf(err)}`);
    return type && REFUSED_BEFORE_CHANGE.has(type) ? EXIT.invalid : EXIT.failed;
  }
}

/** One line per user: created, updated or skipped, and the roles it was given. */
export function resultLines(result: DatabaseUsersResult): string[] {
  const lines = result.users.map((u) => {
    const who = `  ${u.user} (${u.kind})`;
    if (u.action === 'skipped') return `${who}: skipped: ${u.reason}`;
    return `${who}: ${u.action}${u.roles.length ? `, roles ${u.roles.join(' ')}` : ''}`;
  });
  if (!result.rolesApplied) lines.push(`  note: ${result.server} has no authorization: users and passwords are set, roles are not`);
  return lines;
}
