// What a deploy says about itself: step details, summaries for the Web UI,
// and how it ended. Pure functions of its data, so the runbook stays a
// runbook. Workflow-safe.
import type {
  BackupRecord,
  DeployInput,
  DeployOutcome,
  DeployPlan,
  HostFacts,
  PruneResult,
  RollbackPoint,
  ServiceHealth,
  ServiceImage,
  SmokeTestResult,
} from './types.ts';

/** "…, requested by alice", when someone is named. */
const requested = (what: string, input: DeployInput): string => (input.requestedBy ? `${what}, requested by ${input.requestedBy}` : what);

/** The workflow's one-line summary in the Web UI's list: "deploy v2 → dev-cloud, requested by alice". */
export function deploySummary(input: DeployInput): string {
  const what = input.images ? `roll back ${input.environment} to ${input.version} (by digest)` : `deploy ${input.version} → ${input.environment}`;
  return requested(what, input);
}

/** What holds the environment's lock, as the runs that wait for it read it: "deploy v2, requested by alice". */
export function lockPurpose(input: DeployInput): string {
  return requested(input.images ? `roll back to ${input.version}` : `deploy ${input.version}`, input);
}

export const describePlan = (p: DeployPlan): string => `${p.host.user}@${p.host.host}:${p.deployDir}`;

export function describeFacts(f: HostFacts): string {
  const current =
    f.current === 'unhealthy' ? `, running version UNHEALTHY (allowed): ${f.currentProblems}` : f.current === 'healthy' ? ', running version healthy' : '';
  return `docker ${f.dockerVersion}, compose ${f.compose} ${f.composeVersion}, ${f.freeDiskMb} MB free${current}`;
}

export function describePoint(point: RollbackPoint): string {
  if (!point.existed) return 'no stack running yet: first deploy';
  const pins = point.images.map((i) => `${i.service}=${(i.digest ?? i.imageId).split('@').pop()!.slice(0, 19)}`);
  return `${point.previousVersion ?? 'unknown version'}: ${pins.join(', ')}`;
}

export const describeBackup = (b: BackupRecord | null): string =>
  b ? `${b.path} sha256 ${b.sha256.slice(0, 12)}… ${b.bytes} bytes` : 'no database running yet';

export const describeImages = (images: ServiceImage[]): string => images.map((x) => x.digest ?? x.image).join(', ');

export const describeHealth = (services: ServiceHealth[]): string => services.map((s) => s.service).join(', ') + ' healthy';

export const describePrune = (r: PruneResult): string =>
  r.removed.length === 0 ? `nothing beyond the newest ${r.kept}` : `removed ${r.removed.length}: ${r.removed.map((p) => p.split('/').pop()).join(', ')}`;

/** "3 of 3 passed", or "1 of 3 FAILED: api through frontend (GET :80/api/ready answered 502 …)". */
export function describeSmoke(results: SmokeTestResult[]): string {
  const failed = results.filter((r) => !r.passed);
  if (failed.length === 0) return `${results.length} of ${results.length} passed`;
  return `${failed.length} of ${results.length} FAILED (the deploy stands): ${failed.map((r) => `${r.name} (${r.detail})`).join('; ')}`;
}

const previousName = (point: RollbackPoint | undefined): string => point?.previousVersion ?? 'the previous version';

/** Activity summaries in the Web UI's timeline: "pull 3 images". */
export const summaries = {
  plan: (input: DeployInput) => `plan ${input.version} → ${input.environment}`,
  preflight: (p: DeployPlan) => `check ${p.host.host}`,
  rollbackPoint: (p: DeployPlan) => `save the running version of ${p.deployDir}`,
  backup: (p: DeployPlan) => `mongodump ${p.database?.container ?? ''}`.trim(),
  hold: (p: DeployPlan) => `stop ${p.holdDuringDeploy.join(', ')}`,
  upload: (p: DeployPlan) => `upload ${p.composeFileName} and .env`,
  pull: (p: DeployPlan, exact?: ServiceImage[]) => (exact ? `pull ${exact.length} images by digest` : `pull the images of ${p.version}`),
  start: (images: ServiceImage[]) => `compose up ${images.length} services`,
  gate: (images: ServiceImage[]) => `health gate ${images.map((i) => i.service).join(', ')}`,
  release: (p: DeployPlan) => `start ${p.holdDuringDeploy.join(', ')}`,
  restore: (point: RollbackPoint) => `restore ${previousName(point)} by digest`,
  prune: (keep: number) => `keep the newest ${keep} rollback points and backups`,
  smoke: (p: DeployPlan) => `smoke test ${(p.smoke ?? []).map((c) => c.name).join(', ')}`,
};

/** The failure's message: what happened, then why. */
export function endMessage(input: DeployInput, outcome: DeployOutcome, point: RollbackPoint | undefined, restoredUngated: boolean, reason: string): string {
  const deploy = `deploy of ${input.version} to ${input.environment}`;
  if (outcome === 'rolled-back') return `${deploy} failed and was rolled back to ${previousName(point)}: ${reason}`;
  if (outcome === 'rollback-failed') return `${deploy} failed and ROLLBACK FAILED: ${reason}`;
  if (restoredUngated) return `${deploy} failed; ${previousName(point)} was restored by digest, unhealthy as before: ${reason}`;
  return `${deploy} failed: ${reason}`;
}

export const endFailureType = (outcome: DeployOutcome) =>
  outcome === 'rolled-back' ? 'RolledBack' : outcome === 'rollback-failed' ? 'RollbackFailed' : 'DeployFailed';
