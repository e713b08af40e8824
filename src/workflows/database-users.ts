// The database users runbook: root, the app and the backups, created or
// updated in one step on the worker, which alone reads their passwords.
// Input and result hold names only: the history never sees a password.
import { quickActivities, summarized as call } from './activity-options.ts';
import type { DatabaseUsersInput, DatabaseUsersResult } from './types.ts';

const quick = quickActivities();

export async function databaseUsers(input: DatabaseUsersInput): Promise<DatabaseUsersResult> {
  return call(quick.ensureDatabaseUsers, `create or update the database users of ${input.environment}`, input.environment);
}
