// The failure contract between activities and workflows: every failure type
// a step raises on purpose, whether a retry could help, and how it is built
// and read. Workflow-safe (no I/O): activities and workflows both import it.
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { ServiceHealth } from './types.ts';

/**
 * `final`: a retry cannot help, a person must act (fix the input, the
 * configuration or the host). `retry`: the world may change (a host
 * rebooting, a network blip), so the activity's retry policy applies.
 */
const CONTRACT = {
  // The request or the configuration is wrong.
  InvalidInput: 'final',
  InvalidConfig: 'final',
  InvalidSetting: 'final',
  SecretMissing: 'final',
  ConfigChanged: 'final',
  // The host is unfit, or is not the host we know.
  PreflightFailed: 'final',
  HostKeyMismatch: 'final',
  CurrentVersionUnhealthy: 'final',
  HostUnreachable: 'retry',
  // The release itself.
  ImageNotFound: 'final',
  // A promoted release's tag resolved to other images than the candidate's.
  ImageMismatch: 'final',
  // A funnel may need a moment to come up: looked at again before it fails the step.
  FunnelUnverified: 'retry',
  // A dev environment that is not a releasable candidate (unhealthy, mixed versions, unrecorded).
  CandidateRefused: 'final',
  StartFailed: 'final',
  HealthGateFailed: 'final',
  BackupFailed: 'retry',
  // A copy whose checksum differs from its source's: copied again.
  BackupCopyCorrupt: 'retry',
  // A backup whose archive matches its manifest in neither place.
  BackupCorrupt: 'final',
  // A backup restored into a scratch database does not give what its manifest says.
  BackupInvalid: 'final',
  DatabaseRestoreFailed: 'final',
  // The database read back after a restore differs from the backup's manifest.
  RestoreVerifyFailed: 'final',
  // An environment whose database is not backed up (no database, or no `backups:` in the config).
  NothingToBackUp: 'final',
  // Migration: an end unfit to migrate (version, authentication, disk), a
  // source written to after its final dump, and a backend that does not
  // serve the moved data (it may need a moment: tried again).
  MigrationRefused: 'final',
  SourceChanged: 'final',
  SmokeCheckFailed: 'retry',
  // Compensation.
  RestoreFailed: 'final',
  RollbackImpossible: 'final',
  // Promotion.
  ReleaseTagTaken: 'final',
  // A protected environment changed without a promotion or an approver's valid signed request.
  Unauthorized: 'final',
  RegistryDigestMismatch: 'final',
  ImageMissingInRegistry: 'final',
  // Notices: Discord answered, and said no (a deleted webhook, a bad token).
  NoticeRefused: 'final',
  NoticeNotSent: 'retry',
  // How a deploy ended, when not in success.
  RolledBack: 'final',
  RollbackFailed: 'final',
  DeployFailed: 'final',
} as const satisfies Record<string, 'final' | 'retry'>;

export type FailureType = keyof typeof CONTRACT;

/** Failures that refuse a run before anything was changed: bad input, configuration, a host unfit to start on, or a release tag already taken. */
export const REFUSED_BEFORE_CHANGE: ReadonlySet<string> = new Set<FailureType>([
  'InvalidInput',
  'InvalidConfig',
  'InvalidSetting',
  'SecretMissing',
  'CurrentVersionUnhealthy',
  'ReleaseTagTaken',
  'CandidateRefused',
  'NothingToBackUp',
  'BackupCorrupt',
  'MigrationRefused',
  'Unauthorized',
]);

/** The types no retry policy should retry: derived from the contract, never copied. */
export const NOT_WORTH_RETRYING: FailureType[] = (Object.keys(CONTRACT) as FailureType[]).filter((t) => CONTRACT[t] === 'final');

/** A failure of a known type; retryable or not as the contract says. */
export function failure(type: FailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: CONTRACT[type] === 'final',
    details: details === undefined ? undefined : [details],
  });
}

/** Why a start or a health gate failed: the services that were not healthy, and their last log lines. */
interface UnhealthyDetails {
  unhealthy: ServiceHealth[];
  logs: Record<string, string>;
}

/** The failures whose details name the unhealthy services. */
const UNHEALTHY_TYPES = ['StartFailed', 'HealthGateFailed'] as const satisfies readonly FailureType[];

export function unhealthyFailure(type: (typeof UNHEALTHY_TYPES)[number], message: string, details: UnhealthyDetails): ApplicationFailure {
  return failure(type, message, details);
}

/** The first unhealthy service and its last log lines, when a start or a health gate failed on one. */
export function unhealthyServiceOf(err: unknown): { service: string; logs?: string } | undefined {
  const cause = err instanceof ActivityFailure ? err.cause : undefined;
  if (!(cause instanceof ApplicationFailure) || !(UNHEALTHY_TYPES as readonly string[]).includes(cause.type ?? '')) return undefined;
  const details = cause.details?.[0] as Partial<UnhealthyDetails> | undefined;
  const service = details?.unhealthy?.[0]?.service;
  return service ? { service, logs: details?.logs?.[service] } : undefined;
}

/** The type of the innermost application failure (the activity's own error type). */
export function failureTypeOf(err: unknown): string | undefined {
  let type: string | undefined;
  for (let e = err as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof ApplicationFailure && e.type) type = e.type;
  }
  return type;
}

/** The innermost message of a Temporal failure chain (activity failures wrap the real cause). */
export function messageOf(err: unknown): string {
  let message = '';
  for (let e = err as { message?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.message) message = e.message;
  }
  return message || String(err);
}
