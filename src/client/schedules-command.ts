// `smokestack schedules apply` makes Temporal's schedules match the config:
// a daily backup of every environment with a database, at `backups.dailyAt`
// in `backups.timeZone`. Run it twice and nothing changes; change the time
// and the schedule follows. `smokestack schedules` lists them with their
// next runs (they show in the Web UI's Schedules page too).
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config/schema.ts';
import type { TemporalSettings } from '../temporal/connection.ts';
import { databaseWorkflowId } from '../workflows/definitions.ts';
import type { BackupInput } from '../workflows/types.ts';
import { EXIT } from './exit-codes.ts';

const DAILY_BACKUP = 'backup-daily-';

/** Every schedule the config asks for (pure: the unit tests read it). */
export function desiredSchedules(config: Config, settings: Pick<TemporalSettings, 'taskQueue'>): ScheduleOptions[] {
  const backups = config.backups;
  if (!backups) return [];
  const [hour, minute] = backups.dailyAt.split(':').map(Number);
  return Object.entries(config.environments)
    .filter(([, env]) => env.database)
    .map(([environment]) => ({
      scheduleId: `${DAILY_BACKUP}${environment}`,
      spec: { calendars: [{ hour: hour!, minute: minute! }], timezone: backups.timeZone },
      action: {
        type: 'startWorkflow' as const,
        workflowType: 'backup',
        taskQueue: settings.taskQueue,
        // Temporal adds the time it fires to the ID: each day's run is its own.
        workflowId: databaseWorkflowId(environment),
        args: [{ environment, trigger: 'schedule', requestedBy: 'schedule' } satisfies BackupInput],
      },
      // A backup still running at the next 02:00 is not doubled; a missed
      // run (server down) is caught up within a day, not a year later.
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
      memo: { about: `daily backup of ${environment} at ${backups.dailyAt} ${backups.timeZone}` },
    }));
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
    if (!summary.scheduleId.startsWith(DAILY_BACKUP)) continue;
    const description = await client.schedule.getHandle(summary.scheduleId).describe();
    const next = description.info.nextActionTimes[0];
    const spec = description.spec.calendars?.[0];
    const at = spec ? `${twoDigits(spec.hour)}:${twoDigits(spec.minute)} ${description.spec.timezone ?? 'UTC'}` : 'unknown';
    write(`${summary.scheduleId.padEnd(32)} daily at ${at.padEnd(22)} next ${next ? next.toISOString() : 'none'}${description.state.paused ? ' (paused)' : ''}`);
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
