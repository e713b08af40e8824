// The backups of each environment, as the runner's store holds them: when
// the newest was taken, and the newest one that passed its validation.
// Exported as Unix timestamps (0: none yet), read from the store when the
// worker starts and at every scrape, so a restarted worker reports them at
// once and alerts compute the age themselves: time() - timestamp.
import { Gauge, type Registry } from 'prom-client';
import { planBackup, listBackups } from '../activities/database/backups.ts';
import { loadConfig } from '../config/load.ts';
import type { BackupManifest } from '../workflows/types.ts';

export const BACKUP_LAST_SUCCESS = 'smokestack_backup_last_success_timestamp_seconds';
export const BACKUP_LAST_VALIDATED = 'smokestack_backup_last_validated_timestamp_seconds';
export const BACKUPS_IN_STORE = 'smokestack_backups_in_store';

export interface BackupTimes {
  environment: string;
  /** takenAt of the newest backup in the store (only a backup copied off its host, checksummed, is there), ms; null: none. */
  lastSuccess: number | null;
  /** takenAt of the newest backup whose validation passed, ms; null: none. */
  lastValidated: number | null;
  count: number;
}

/** The newest backup, and the newest validated one, of one environment's manifests. */
export function newestTimes(environment: string, manifests: BackupManifest[]): BackupTimes {
  const newest = (list: BackupManifest[]) => (list.length ? Math.max(...list.map((m) => m.takenAt)) : null);
  return {
    environment,
    lastSuccess: newest(manifests),
    lastValidated: newest(manifests.filter((m) => m.validated?.ok === true)),
    count: manifests.length,
  };
}

/** Every environment with a database, read from the store the config names; none without a `backups:` section. */
export async function backupTimes(configFile: string): Promise<BackupTimes[]> {
  const config = loadConfig(configFile);
  if (!config.backups) return [];
  const environments = Object.entries(config.environments)
    .filter(([, env]) => env.database)
    .map(([name]) => name);
  return Promise.all(
    environments.map(async (environment) => newestTimes(environment, await listBackups(await planBackup(configFile, { environment }), 'store'))),
  );
}

/** The three gauges, in `registry`; refresh() reads the store again and sets them. */
export function backupGauges(registry: Registry, configFile: string): { refresh(): Promise<void> } {
  const labelNames = ['environment'] as const;
  const lastSuccess = new Gauge({ name: BACKUP_LAST_SUCCESS, help: 'When the newest backup in the runner\'s store was taken (Unix seconds; 0: none)', labelNames, registers: [registry] });
  const lastValidated = new Gauge({ name: BACKUP_LAST_VALIDATED, help: 'When the newest backup that passed its validation was taken (Unix seconds; 0: none)', labelNames, registers: [registry] });
  const count = new Gauge({ name: BACKUPS_IN_STORE, help: 'Backups in the runner\'s store', labelNames, registers: [registry] });
  const seconds = (ms: number | null) => (ms === null ? 0 : ms / 1000);
  return {
    async refresh() {
      const times = await backupTimes(configFile);
      for (const gauge of [lastSuccess, lastValidated, count]) gauge.reset();
      for (const t of times) {
        lastSuccess.set({ environment: t.environment }, seconds(t.lastSuccess));
        lastValidated.set({ environment: t.environment }, seconds(t.lastValidated));
        count.set({ environment: t.environment }, t.count);
      }
    },
  };
}
