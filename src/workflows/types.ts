// Data that crosses the workflow boundary: inputs, plans, results. Plain
// JSON, recorded in history, so never a secret (only where to find one).
import type { ChangeAuthority, SignedText } from './signed-statement.ts';

export interface DeployInput {
  environment: string;
  /** Image tag to deploy, validated against Docker's tag grammar. */
  version: string;
  /** Who or what asked (CLI user, CI run URL), shown in notifications. */
  requestedBy?: string;
  /** Deploy these exact images (a rollback to a recorded version) instead of resolving the tag. */
  images?: ServiceImage[];
  /**
   * Deploy even though the running version fails its own health check. A
   * failed deploy then restores the previous version by digest without
   * requiring it to pass the health gate, and ends `failed`.
   */
  allowUnhealthyCurrent?: boolean;
  /**
   * A promotion's release: the images of these repositories must resolve to
   * exactly these digests, or the deploy stops before starting anything.
   */
  expectedDigests?: ReleaseImage[];
  /**
   * Which notices go to Discord: `all` (default), or `failures` for a
   * device updated by a promotion, whose own notices say how the fleet
   * went: 200 devices would otherwise post 400 "deploying"/"deployed".
   */
  notices?: 'all' | 'failures';
  /**
   * The run that has just backed the database up and verified it (a
   * migration, whose final dump is this very database): the pre-deploy
   * backup is skipped, saying so, instead of dumping it again during the
   * maintenance window.
   */
  backedUpBy?: string;
  /**
   * A protected environment changed outside a promotion: an approver's
   * signed request for exactly this deploy (`smokestack deploy … --sign`).
   * Parsed and checked by the worker, never trusted as given.
   */
  authorization?: unknown;
}

export interface PreflightOptions {
  allowUnhealthyCurrent?: boolean;
}

export interface HostTarget {
  host: string;
  port: number;
  user: string;
  /** Path of the key on the worker machine, not the key. */
  privateKey: string;
  connectTimeoutSeconds: number;
  /** The pinned host key fingerprints (config hostKey, or known_hosts); one string in runs recorded before lists. */
  hostKey?: string | string[];
}

/** Where the worker reads a secret: its name and source, never its value. */
export type SecretRef = ({ env: string } | { file: string }) & { encode?: 'uri' };

/** How one compose service is health-checked. */
export interface ServiceCheck {
  container: string;
  http?: string;
  process?: string;
}

/** One check of the smoke test after a deploy: a GET on a port of the host's loopback, judged by its status and body. */
export interface SmokeTestCheck {
  name: string;
  port: number;
  path: string;
  expectStatus: number;
  /** Text the body must contain (the app's page, not an nginx error page). */
  expectText?: string;
}

/** How one check of the smoke test went. */
export interface SmokeTestResult {
  name: string;
  passed: boolean;
  /** What was asked and what answered, e.g. `GET :80/ answered 200, 1.2 kB, "<title>Smart Smoker</title>" found`. */
  detail: string;
}

/** Everything a deploy needs to know about its environment, fixed at planning time. */
export interface DeployPlan {
  environment: string;
  /** Why this run may change the environment (the deploy's own plan only). */
  authority?: ChangeAuthority;
  kind: 'cloud' | 'device';
  version: string;
  host: HostTarget;
  deployDir: string;
  /** File name of the compose file in deployDir (same as the local file's). */
  composeFileName: string;
  /** sha256 of the compose file planned; the upload refuses a file changed since. */
  composeSha256: string;
  /** Local paths on the worker machine: the compose file and files uploaded beside it. */
  composeFile: string;
  /** Uploaded private to the SSH user: files 0600, folders 0700. */
  extraFiles: string[];
  /** Uploaded readable by all (0644, folders 0755): what containers read as a user of their own. Absent in runs planned before it existed. */
  readableExtraFiles?: string[];
  /** Plain settings for the .env file. */
  settings: Record<string, string>;
  /** Where the worker reads each secret setting (names and sources only). */
  secrets: Record<string, SecretRef>;
  services: Record<string, ServiceCheck>;
  database?: { container: string };
  /** Compose services stopped during the deploy (Watchtower), started again after it. */
  holdDuringDeploy: string[];
  health: { timeoutSeconds: number; intervalSeconds: number; tailscale: boolean };
  minFreeDiskMb: number;
  /** How many rollback points and pre-deploy backups a successful deploy leaves on the host. */
  retention: { keep: number };
  /** The smoke test run once the deploy is committed (absent on plans recorded before it existed). */
  smoke?: SmokeTestCheck[];
}

/** What a prune must leave whatever its age: this deploy's rollback point and backup. */
export interface PruneKeep {
  rollbackPoint: string;
  backup?: string;
}

export type ComposeFlavor = 'v2' | 'v1';

export interface HostFacts {
  compose: ComposeFlavor;
  composeVersion: string;
  dockerVersion: string;
  freeDiskMb: number;
  /** The stack running before the deploy, by its own health check (unknown on old histories). */
  current?: 'none' | 'healthy' | 'unhealthy';
  /** What failed, when current is unhealthy (allowed by allowUnhealthyCurrent). */
  currentProblems?: string;
}

/** One service's image: the tag asked for and the digest that actually runs. */
export interface ServiceImage {
  service: string;
  image: string;
  /** repository@sha256:..., the registry manifest digest. */
  digest: string | null;
  imageId: string;
}

/** Retention on hosts: how many rollback points and pre-deploy backups a successful deploy keeps. */
export interface PruneResult {
  removed: string[];
  kept: number;
}

export interface ServiceHealth {
  service: string;
  container: string;
  healthy: boolean;
  detail: string;
}

type StepState = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface StepProgress {
  name: string;
  state: StepState;
  startedAt?: number;
  endedAt?: number;
  detail?: string;
}

export type DeployOutcome = 'succeeded' | 'rolled-back' | 'rollback-failed' | 'failed';

/** What a promotion announces along the way, and how it ended. */
export type PromotionNoticeKind =
  | 'approval-needed'
  | 'approval-reminder'
  | 'approved'
  | 'released'
  | 'rejected'
  | 'expired'
  | 'promotion-rolled-back'
  | 'promotion-failed'
  | 'promotion-done';

/** What a notice announces: a run starting, a step a person must know of, or how it ended. */
export type BackupNoticeKind = 'backed-up' | 'backup-failed' | 'restore-started' | 'restored' | 'restore-failed' | 'restore-undo-failed' | 'validation-failed';

/** What a migration announces: the window opening and closing, a rollback, the reminder that the old host can go. */
export type MigrationNoticeKind = 'maintenance-started' | 'maintenance-ended' | 'migration-rolled-back' | 'migration-rollback-failed' | 'migration-failed' | 'dry-run-done' | 'source-can-go';

export type NoticeKind = 'started' | DeployOutcome | PromotionNoticeKind | BackupNoticeKind | MigrationNoticeKind;

/** A notice for people (Discord): plain facts about one run, never a secret. */
export interface Notice {
  kind: NoticeKind;
  environment: string;
  version: string;
  /** The run the notice is about, for the link to it in the Web UI. */
  run: { workflowId: string; runId: string };
  durationSeconds?: number;
  requestedBy?: string;
  reason?: string;
  failedService?: string;
  logTail?: string;
  previousVersion?: string;
  /** Promotion: the command that answers it, who answered, and each device's state. */
  approveCommand?: string;
  decidedBy?: string;
  devices?: string;
  /** Backup: size, collections and what rotation did. */
  details?: string;
  /** Deploy: how each check of the smoke test went (a failed one is a warning, not a failed deploy). */
  smoke?: SmokeTestResult[];
}

export interface DeployProgress {
  environment: string;
  version: string;
  previousVersion?: string | null;
  phase: 'deploying' | 'rolling back' | 'done';
  outcome?: DeployOutcome;
  steps: StepProgress[];
}

export interface DeployResult {
  environment: string;
  version: string;
  outcome: DeployOutcome;
  /** The images running when the run ended: the new ones, or after a rollback the previous ones. */
  services: ServiceImage[];
  steps: StepProgress[];
  previousVersion?: string | null;
  backup?: BackupRecord | null;
  error?: string;
  /** The type of the failure that ended the run (e.g. CurrentVersionUnhealthy), for exit codes. */
  failureType?: string;
  failedService?: string;
  durationSeconds?: number;
  /** The smoke test after a succeeded deploy, check by check; absent when none is configured. It never changes the outcome. */
  smoke?: SmokeTestResult[];
  /** Why this run could change a protected environment: its promotion, or a signed request. */
  authority?: ChangeAuthority;
}

/** What ran before a deploy: enough to bring it back exactly. The files stay on the host (the .env holds secrets). */
export interface RollbackPoint {
  /** Whether a stack was there at all (a first deploy has nothing to roll back to). */
  existed: boolean;
  /** Directory on the host holding copies of the previous compose, .env and pins files. */
  savedDir: string;
  savedFiles: string[];
  previousVersion: string | null;
  /** Every container of the stack, by compose service: the exact image it ran. */
  images: ServiceImage[];
}

export interface BackupRecord {
  path: string;
  sha256: string;
  bytes: number;
}

/** A registry reached over its HTTP API (v2), without auth. */
export interface RegistryTarget {
  /** The registry's HTTP base, e.g. http://127.0.0.1:5000. */
  url: string;
}

/** One image of a release, by what it is rather than what it is called. */
export interface ReleaseImage {
  repository: string;
  /** sha256:..., the manifest digest; for a multi-platform image, the digest of the list (index), not of one platform. */
  digest: string;
}

/** Where one tag points in each repository: repository -> digest, or null where the tag does not exist. */
export type TagSnapshot = Record<string, string | null>;

// ---- Promotion: the tested release to production, behind a person's yes ----

/** What `smokestack promote RELEASE` asks for. */
export interface PromoteInput {
  /** The new release's tag, e.g. v1.4.0: Docker's tag grammar, never `latest`. */
  release: string;
  /** Who asked (CLI user, CI actor): may not approve it unless the configuration allows. */
  requestedBy?: string;
}

/** How the approval gate was answered: the decision, and who (the configuration's name of the key that signed), when, why. */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  by: string;
  reason: string;
  at: number;
  /** 'update' (the CLI) or 'signal' (Web UI, temporal workflow signal). */
  via: 'update' | 'signal';
  /** When the approver signed it, the key's SHA256 fingerprint, and the signed statement itself (for `smokestack audit`). */
  signedAt?: string;
  fingerprint?: string;
  signed?: SignedText;
}

/** The gate's answer to an update: decided, or refused with why (nothing changed). */
export type AnswerOutcome = { accepted: true; decision: ApprovalDecision } | { accepted: false; why: string };

/** An answer the gate refused: the newest REFUSED_KEPT are kept, `refusedCount` counts all. */
export interface RefusedAnswer {
  answer: 'approve' | 'reject';
  /** The signer the statement named, if it could be read ('' otherwise). */
  by: string;
  reason: string;
  at: number;
  why: string;
  via?: 'update' | 'signal';
}

/** How many devices at a time, and when, a promotion updates. */
export interface RolloutStrategy {
  strategy: 'rolling' | 'immediate' | 'window';
  /** rolling: devices per batch. */
  batchSize: number;
  /** rolling: pause after each batch. */
  pauseSeconds: number;
  /** rolling: stop once more than this many devices failed (rolled back or gave up). */
  maxFailures: number;
  /** immediate and window: devices updated at once. */
  concurrency: number;
  /** window: device updates start only between these local times (HH:MM) in this IANA time zone. */
  window?: { start: string; end: string; timeZone: string };
}

/** One funnel rule: the public HTTPS port and the local port it serves. */
export interface FunnelRule {
  https: number;
  target: number;
}

/** A promotion fixed at its start from smokestack.yml: names and numbers, never a secret. */
export interface PromotionPlan {
  release: string;
  /** The dev environments whose running images are the candidate. */
  from: string[];
  /** The cloud environment deployed first. */
  to: string;
  devices: string[];
  /** How each device (and the cloud environment, for its funnel) is reached. */
  hosts: Record<string, HostTarget>;
  registry: RegistryTarget;
  /** The repositories a release tags: the application's own images. */
  repositories: string[];
  approvers: string[];
  allowSelfApproval: boolean;
  approvalTimeoutSeconds: number;
  reminderSeconds: number;
  funnel: FunnelRule[];
  deviceWait: { limitSeconds: number; probeMaxSeconds: number };
  rollout: RolloutStrategy;
}

/** What a dev environment runs now, by its host and by its record. */
export interface RunningStack {
  environment: string;
  /** VERSION in the stack's .env, or null when no stack is there. */
  version: string | null;
  images: ServiceImage[];
  healthy: boolean;
  problems?: string;
}

/** The last deploy of an environment as Temporal recorded it. */
export interface LastDeploy {
  environment: string;
  outcome: DeployOutcome | 'running' | 'none' | 'unknown';
  version?: string;
  services: ServiceImage[];
}

/** The exact images a promotion releases, and where each came from. */
export interface Candidate {
  /** The version dev runs (its tag there, e.g. nightly or v2). */
  sourceVersion: string;
  images: (ReleaseImage & { from: string })[];
}

export type DeviceState = 'pending' | 'waiting' | 'updating' | 'updated' | 'rolled-back' | 'failed' | 'gave-up' | 'skipped';

export interface DeviceReport {
  device: string;
  state: DeviceState;
  /** When the device was first waited for, and when its state last changed. */
  waitingSince?: number;
  at?: number;
  probes?: number;
  detail?: string;
}

/** What a device update child is given. */
export interface DeviceUpdateInput {
  device: string;
  host: HostTarget;
  release: string;
  requestedBy?: string;
  expectedDigests: ReleaseImage[];
  wait: { limitSeconds: number; probeMaxSeconds: number };
  /** Carried over a continue-as-new, so the wait's limit counts from the first probe. */
  waitingSince?: number;
  probes?: number;
}

export type PromotionOutcome = 'released' | 'partly-released' | 'rejected' | 'expired' | 'rolled-back' | 'failed';

export interface PromotionProgress {
  release: string;
  requestedBy?: string;
  phase: 'validating' | 'waiting for approval' | 'releasing' | 'updating devices' | 'compensating' | 'done';
  outcome?: PromotionOutcome;
  candidate?: Candidate;
  approvers: string[];
  waitingSince?: number;
  decision?: ApprovalDecision;
  refused: RefusedAnswer[];
  /** Every refused answer, including those no longer kept in `refused`. */
  refusedCount?: number;
  steps: StepProgress[];
  devices: DeviceReport[];
}

export interface PromotionResult extends Omit<PromotionProgress, 'phase'> {
  outcome: PromotionOutcome;
  error?: string;
  failureType?: string;
}

// ---- The environment lock ----

/** A run asking for its environment's lock (environment-lock.ts). */
export interface LockRequest {
  environment: string;
  /** Names this request in every signal, so that one asked again or late is known. */
  token: string;
  workflowId: string;
  runId: string;
  /** What the run is, as people read it: "deploy v2, requested by alice", "scheduled backup". */
  purpose: string;
  requestedAt: number;
}

export interface LockHolder extends LockRequest {
  grantedAt: number;
}

/** The lock workflow's state: carried over by continue-as-new, and kept in its memo for the run that replaces a lost one. */
export interface EnvironmentLockState {
  environment: string;
  holder?: LockHolder;
  /** Who waits, first come first served. */
  queue: LockRequest[];
  /** Once a holder has held it this long, the lock asks whether it still runs; then as often again. */
  holderCheckSeconds: number;
}

/** What the lock tells a run that waits: who holds it, and how many wait ahead of it. */
export interface LockWaiting {
  token: string;
  holder?: LockHolder;
  ahead: number;
}

/** A run's own view of a lock it asked for: its `environment-lock` query. */
export interface LockStatus {
  environment: string;
  purpose: string;
  token: string;
  state: 'waiting' | 'held' | 'released';
  requestedAt: number;
  grantedAt?: number;
  releasedAt?: number;
  /** Another run that held it while this one waited (the last one it was told of). */
  holder?: LockHolder;
  /** While waiting: how many wait ahead of this run. */
  ahead?: number;
}

// ---- Backups ----

export interface BackupInput {
  environment: string;
  requestedBy?: string;
  /** Why it runs: by hand (CLI), the daily schedule, or just before a restore. */
  trigger?: 'manual' | 'schedule' | 'safety';
}

export interface RetentionKeep {
  daily: number;
  weekly: number;
  monthly: number;
}

/** Where an environment's backups go and how long they stay: resolved from config by the worker. */
export interface BackupPlan {
  environment: string;
  /** A restore's or migration's plan: why this run may change the environment. */
  authority?: ChangeAuthority;
  host: HostTarget;
  container: string;
  /** The copy on the database's own host. */
  hostDir: string;
  /** The copy off the host, on the runner (the worker's machine): `<store>/<environment>`. */
  storeDir: string;
  keep: RetentionKeep;
  timeZone: string;
  consistency: 'online' | 'quiesce';
  /** The host's free-disk floor (environments.*.minFreeDiskMb): a validation's scratch database must leave it free. */
  minFreeDiskMb: number;
  /** The stack's containers other than the database: stopped while a restore runs. */
  appContainers: string[];
}

/** One collection as the archive holds it (mongodump's own count). */
export interface CollectionCount {
  namespace: string;
  documents: number;
}

/** What a backup is, written beside its archive in both places (never a secret). */
export interface BackupManifest {
  id: string;
  environment: string;
  takenAt: number;
  trigger: 'manual' | 'schedule' | 'safety' | 'migration';
  consistency: 'online' | 'quiesce';
  /** The archive's file name, beside this manifest. */
  archive: string;
  sha256: string;
  bytes: number;
  collections: CollectionCount[];
  /** Each collection's indexes, read just after the dump; the restore builds them from here. */
  indexes?: CollectionIndexes[];
  tools: { mongodump: string };
  /** The archive read through after the copy: its own versions, counts, indexes and content hashes. */
  content?: ArchiveContent;
  /** The workflow run that took it. */
  run: { workflowId: string; runId: string };
  /** The last validation: restored into a scratch database and compared with this manifest. */
  validated?: BackupValidation;
}

export interface BackupValidation {
  at: number;
  ok: boolean;
  detail: string;
  /** The validation's workflow run. */
  run?: { workflowId: string; runId: string };
}

/** One collection as the archive holds it. */
export interface ArchiveCollection {
  namespace: string;
  documents: number;
  /** Uncompressed size of its documents (mongodump's metadata). */
  bytes: number;
  /** The order-free content hash (activities/database/content-hash.ts), as databaseState computes it. */
  sha256: string;
  indexes: IndexSpec[];
}

/** What a mongodump archive says of itself, read without a server. */
export interface ArchiveContent {
  /** The server the dump was taken from, as mongodump recorded it. */
  serverVersion: string;
  toolVersion: string;
  collections: ArchiveCollection[];
}

export type BackupCopy = 'host' | 'store';

/** A manifest (or a file name) among a copy's backups that was refused: never used, only reported. */
export interface RefusedManifest {
  copy: BackupCopy;
  /** Its file name, quoted and escaped (activities/host/names.ts shownName). */
  name: string;
  why: string;
}

/** Both copies' backups as listed at once: the manifests that passed (each with its archive there), newest first, and those refused. */
export interface BackupCopies {
  host: BackupManifest[];
  store: BackupManifest[];
  refused: RefusedManifest[];
}

/** One copy's archive hashed again: as its manifest says, missing, or different. */
export interface CopyCheck {
  copy: BackupCopy;
  state: 'ok' | 'missing' | 'differs';
  sha256?: string;
}

export interface ValidateInput {
  environment: string;
  /** The backup to validate; the newest (not a safety backup) when absent. */
  backupId?: string;
  requestedBy?: string;
  trigger?: 'manual' | 'schedule';
}

export interface ValidationResult {
  environment: string;
  /** The backup, its manifest now carrying this validation. */
  backup: BackupManifest;
  ok: boolean;
  copies: CopyCheck[];
  /** Every difference found; empty when it passed. */
  problems: string[];
  steps: StepProgress[];
}

export interface ValidationProgress {
  environment: string;
  backupId?: string;
  steps: StepProgress[];
}

export interface RotationReport {
  copy: BackupCopy;
  kept: number;
  removed: string[];
  held?: string;
  /** Backups on the host that the store has no copy of: neither kept nor removed by the rules, and never counted. */
  hostOnly?: string[];
  /** Manifests refused in this copy: `name: why`. */
  refused?: string[];
}

export interface BackupResult {
  environment: string;
  manifest: BackupManifest;
  /** Where the two copies are. */
  hostPath: string;
  storePath: string;
  rotation: RotationReport[];
  steps: StepProgress[];
}

export interface BackupProgress {
  environment: string;
  id: string;
  steps: StepProgress[];
}

// ---- Database users ----

export interface DatabaseUsersInput {
  environment: string;
  /** Who asked, for the record. */
  requestedBy?: string;
}

/** What became of one database user (never its password). */
export interface DatabaseUserOutcome {
  kind: 'root' | 'app' | 'backup';
  user: string;
  action: 'created' | 'updated' | 'skipped';
  /** Skipped: why (e.g. no secret for its password). */
  reason?: string;
  /** The roles the server was given, as role@db. */
  roles: string[];
}

export interface DatabaseUsersResult {
  environment: string;
  users: DatabaseUserOutcome[];
  /** The server's own name and version, e.g. "MongoDB 7.0.14" or "FerretDB v1.24.2". */
  server: string;
  /** False on a server without authorization (FerretDB 1.x): users and passwords set, roles not. */
  rolesApplied: boolean;
}

export interface BackupListing {
  environment: string;
  now: number;
  /** Newest first; `keptBy` is empty for a backup the next rotation removes. */
  backups: { manifest: BackupManifest; copies: BackupCopy[]; keptBy: string[] }[];
  held?: string;
  /** Manifests refused in either copy, with why: not listed above. */
  refused?: RefusedManifest[];
}

export interface CollectionState {
  namespace: string;
  documents: number;
  /** "name {key}" of each index, sorted. */
  indexes: string[];
  /** The order-free content hash of the documents' BSON (activities/database/content-hash.ts). */
  sha256: string;
}

export interface DatabaseState {
  collections: CollectionState[];
}

export interface RestoreInput {
  environment: string;
  /** The backup to restore; the newest when absent. */
  backupId?: string;
  requestedBy?: string;
  /** A protected environment: an approver's signed request for this restore of this backup (`--sign`). */
  authorization?: unknown;
}

export interface RestoreResult {
  environment: string;
  restored: BackupManifest;
  /** Taken just before, from the live database: what a failed restore put back. */
  safety: BackupManifest;
  /** The database as it was read back after the restore. */
  state: DatabaseState;
  steps: StepProgress[];
  /** Why this run could change a protected environment: a signed request. */
  authority?: ChangeAuthority;
}

export interface RestoreProgress {
  environment: string;
  backupId?: string;
  steps: StepProgress[];
}

/** An index as createIndexes takes it: name, key and options. */
export interface IndexSpec {
  name: string;
  key: Record<string, unknown>;
  [option: string]: unknown;
}

export interface CollectionIndexes {
  namespace: string;
  specs: IndexSpec[];
}

// ---- Migration ----

export interface MigrateInput {
  /** The environment whose database moves (smokecloud, the old cloud Pi). */
  from: string;
  /** Where it moves to (prod-cloud; dev-cloud for a dry run). */
  to: string;
  /** Copy into `to` while the source keeps running, untouched: the trial run. */
  dryRun?: boolean;
  requestedBy?: string;
  /** A protected target: an approver's signed request for this migration (`--sign`). */
  authorization?: unknown;
}

/** What the migration checked on both ends before touching either. */
export interface DatabaseFacts {
  environment: string;
  /** buildInfo's version. */
  version: string;
  /** Whether a connection without credentials is refused listDatabases. */
  authenticationRequired: boolean;
  /** The application databases' documents, in bytes (dbStats dataSize). */
  dataBytes: number;
  /** Free disk where the host keeps its backups, in bytes. */
  freeBytes: number;
}

export interface SmokeCheck {
  environment: string;
  /** The backend path read, e.g. /api/latest/smokes. */
  path: string;
  /** The newest document's _id the backend answered with, as EJSON's string form. */
  newestId: string;
}

export interface MigrationTimes {
  /** When the source's app was stopped: the service went down. */
  downAt?: number;
  /** When the target passed its smoke check: the service was back. */
  upAt?: number;
  downtimeSeconds?: number;
}

export interface MigrateResult {
  from: string;
  to: string;
  dryRun: boolean;
  outcome: 'migrated' | 'dry-run' | 'rolled-back' | 'rollback-failed' | 'refused';
  /** The archive moved: the final dump, taken with the source's app stopped (online in a dry run). */
  moved?: BackupManifest;
  /** The backups taken first, source and target, each on its host and in the store. */
  backups: BackupManifest[];
  /** The target's databases read back after the restore: what was compared. */
  state?: DatabaseState;
  smoke?: SmokeCheck;
  times: MigrationTimes;
  /** When the reminder that the source can be decommissioned fires. */
  keepSourceUntil?: number;
  steps: StepProgress[];
}

export interface MigrationProgress {
  from: string;
  to: string;
  dryRun: boolean;
  steps: StepProgress[];
  times: MigrationTimes;
}

export interface KeepSourceInput {
  from: string;
  to: string;
  /** The migration's run, for the link. */
  migration: { workflowId: string; runId: string };
  /** How long the old host is kept, in seconds. */
  keepSeconds: number;
  /** What to check before decommissioning it, listed in the reminder. */
  checks: string[];
}

export interface KeepSourceState {
  from: string;
  to: string;
  remindAt: number;
  reminded: boolean;
  checks: string[];
}
