// Every time budget of a deploy, derived in one place from the environment's
// health timeout, so that no activity is cut off while its remote command is
// still allowed to run. Workflow-safe: activities, workflows and the
// configuration schema all read it.

/** The schema's bounds for health.timeoutSeconds. */
export const HEALTH_TIMEOUT_SECONDS = { min: 5, max: 3600, default: 300 } as const;

/** A pull of the stack's images (they are pulled at once). */
export const PULL_TIMEOUT_SECONDS = 900;

/** A mongodump of the database. */
export const DUMP_TIMEOUT_SECONDS = 1800;

/** `compose up` waits for dependencies' health checks: the health timeout, plus time to create containers. */
export const composeUpTimeoutSeconds = (healthTimeoutSeconds: number): number => healthTimeoutSeconds + 120;

/** Start-to-close of the long activities (pull, dump, start, health gate): the longest command they run, plus a minute. */
export const longActivityTimeoutSeconds = (healthTimeoutSeconds: number): number =>
  Math.max(PULL_TIMEOUT_SECONDS, DUMP_TIMEOUT_SECONDS, composeUpTimeoutSeconds(healthTimeoutSeconds)) + 60;

/**
 * Start-to-close of the quick activities (plan, preflight, files, hold and
 * release). Preflight is the longest: at worst 60 s of version and disk
 * questions, the grace, then one 90 s look at the running stack.
 */
export const QUICK_ACTIVITY_TIMEOUT_SECONDS = 180;

/** How long the running version may take to look healthy in preflight (it may be mid-restart). */
export const CURRENT_HEALTH_GRACE_SECONDS = 15;

/** Releasing held services (`compose up` of a few services, no health wait). */
export const RELEASE_TIMEOUT_SECONDS = 90;

/**
 * A dead worker is noticed within this long, and its activity retried
 * elsewhere. An activity heartbeats only once connected, so the SSH connect
 * timeout must fit within it.
 */
export const heartbeatTimeoutSeconds = (connectTimeoutSeconds: number): number => Math.max(20, connectTimeoutSeconds + 10);

/** How long a notice is retried before it is given up (Discord down for an hour). */
export const NOTICE_DELIVERY_SECONDS = 3600;
