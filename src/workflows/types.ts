// Data that crosses the workflow boundary: inputs, plans, results. Plain
// JSON, recorded in history, so never a secret (only where to find one).

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
  /** Expected SSH host key fingerprint (SHA256:...), when pinned. */
  hostKey?: string;
}

/** Where the worker reads a secret: its name and source, never its value. */
export type SecretRef = ({ env: string } | { file: string }) & { encode?: 'uri' };

/** How one compose service is health-checked. */
export interface ServiceCheck {
  container: string;
  http?: string;
  process?: string;
}

/** Everything a deploy needs to know about its environment, fixed at planning time. */
export interface DeployPlan {
  environment: string;
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
  extraFiles: string[];
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

/** What a notice announces: a run starting, or how it ended. */
export type NoticeKind = 'started' | DeployOutcome;

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
