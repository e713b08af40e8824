// `smokestack schedules apply` makes Temporal's schedules match the config:
// a daily backup of every environment with a database, at `backups.dailyAt`
// in `backups.timeZone`, and a weekly validation of its newest backup at
// `backups.validateWeekly`. Run it twice and nothing changes; change the time
// and the schedule follows. `smokestack schedules` lists them with their
// next runs (they show in the Web UI's Schedules page too).
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import type { TemporalSettings } from '../temporal/connection.ts';
import { databaseWorkflowId } from '../workflows/definitions.ts';
import type { BackupInput, ValidateInput } from '../workflows/types.ts';
import { EXIT } from './exit-codes.ts';

const DAILY_BACKUP = 'backup-daily-';
const WEEKLY_VALIDATION = 'validate-weekly-';
const OURS = [DAILY_BACKUP, WEEKLY_VALIDATION];

/** Every schedule the config asks for (pure: the unit tests read it). */
export function desiredSchedules(config: Config, settings: Pick<TemporalSettings, 'taskQueue'>): ScheduleOptions[] {
  const backups = config.backups;
  if (!backups) return [];
  const [hour, minute] = backups.dailyAt.split(':').map(Number);
  const [vHour, vMinute] = backups.validateWeekly.at.split(':').map(Number);
  const day = backups.validateWeekly.day.toUpperCase() as Uppercase<typeof backups.validateWeekly.day>;
  // A run still going at the next firing is not doubled; a missed run
  // (server down) is caught up within a day, not a year later.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' } as const;
  return Object.entries(config.environments)
    .filter(([, env]) => env.database)
    .flatMap(([environment]) => [
      {
        scheduleId: `${DAILY_BACKUP}${environment}`,
        spec: { calendars: [{ hour: hour!, minute: minute! }], timezone: backups.timeZone },
        action: {
          type: 'startWorkflow' as const,
          workflowType: 'backup',
          taskQueue: settings.taskQueue,
          // Temporal adds the time it fires to the ID: each day's run is its own,
        // and the environment lock, not the ID, keeps it from running beside
        // a deploy, a restore or another backup of the environment.
          workflowId: databaseWorkflowId(environment),
          args: [{ environment, trigger: 'schedule', requestedBy: 'schedule' } satisfies BackupInput],
        },
        policies,
        memo: { about: `daily backup of ${environment} at ${backups.dailyAt} ${backups.timeZone}` },
      },
      {
        scheduleId: `${WEEKLY_VALIDATION}${environment}`,
        spec: { calendars: [{ dayOfWeek: day, hour: vHour!, minute: vMinute! }], timezone: backups.timeZone },
        action: {
          type: 'startWorkflow' as const,
          workflowType: 'validateBackup',
          taskQueue: settings.taskQueue,
          workflowId: `${databaseWorkflowId(environment)}-validate`,
          args: [{ environment, trigger: 'schedule', requestedBy: 'schedule' } satisfies ValidateInput],
        },
        policies,
        memo: { about: `weekly validation of ${environment}'s newest backup, ${backups.validateWeekly.day} ${backups.validateWeekly.at} ${backups.timeZone}` },
      },
    ]);
}

export async function applySchedules(client: Client, config: Config, settings: TemporalSettings, write: (line: string) => void): Promise<number> {
  const desired = desiredSchedules(config, settings);
  if (desired.length === 0) {
    write('no schedules to apply: the configuration has no `backups:` section, or no environment has a database');
    return EXIT.succeeded;
  }
  for (const options of desired) {
    try {
      await client.schedule.create(options);
      write(`created ${options.scheduleId}`);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(options.scheduleId).update((previous) => ({ ...previous, spec: options.spec, action: options.action, policies: options.policies }));
      write(`updated ${options.scheduleId}`);
    }
  }
  return EXIT.succeeded;
}

export async function listSchedules(client: Client, write: (line: string) => void): Promise<number> {
  let any = false;
  for await (const summary of client.schedule.list()) {
    if (!OURS.some((prefix) => summary.scheduleId.startsWith(prefix))) continue;
    const description = await client.schedule.getHandle(summary.scheduleId).describe();
    const next = description.info.nextActionTimes[0];
    const spec = description.spec.calendars?.[0];
    const when = spec?.dayOfWeek && summary.scheduleId.startsWith(WEEKLY_VALIDATION) ? `weekly ${weekday(spec.dayOfWeek)}` : 'daily';
    const at = spec ? `${twoDigits(spec.hour)}:${twoDigits(spec.minute)} ${description.spec.timezone ?? 'UTC'}` : 'unknown';
    write(`${summary.scheduleId.padEnd(32)} ${`${when} at`.padEnd(16)} ${at.padEnd(22)} next ${next ? next.toISOString() : 'none'}${description.state.paused ? ' (paused)' : ''}`);
    any = true;
  }
  if (!any) write('no schedules: `smokestack schedules apply` creates them from the configuration');
  return EXIT.succeeded;
}

/** A described calendar field is a list of ranges; ours hold one value each. */
const twoDigits = (field: unknown): string => {
  const first = Array.isArray(field) ? (field[0] as { start?: number } | undefined)?.start : field;
  return String(first ?? '?').padStart(2, '0');
};

/** A described day of week: a range of day numbers (0 = Sunday) or a name. */
const weekday = (field: unknown): string => {
  const first = Array.isArray(field) ? (field[0] as { start?: unknown } | undefined)?.start : field;
  const names = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  return typeof first === 'number' ? (names[first] ?? String(first)) : String(first ?? '?').toLowerCase();
};
