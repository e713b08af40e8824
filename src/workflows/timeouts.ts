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

/**
 * A quick step's worker is taken for dead after this long without a
 * heartbeat, and the step retried elsewhere (every activity heartbeats every
 * few seconds from its start: src/activities/keep-alive.ts). Without it a
 * dead worker cost the step's whole budget above.
 */
export const QUICK_HEARTBEAT_TIMEOUT_SECONDS = 20;

/** How long the running version may take to look healthy in preflight (it may be mid-restart). */
export const CURRENT_HEALTH_GRACE_SECONDS = 15;

/** Releasing held services (`compose up` of a few services, no health wait). */
export const RELEASE_TIMEOUT_SECONDS = 90;

/**
 * A long step's dead worker is noticed within this long, and its activity
 * retried elsewhere. It still fits the SSH connect timeout, as it had to
 * when activities began to heartbeat only once connected; they now beat
 * from their start (src/activities/keep-alive.ts), so the margin is spare.
 */
export const heartbeatTimeoutSeconds = (connectTimeoutSeconds: number): number => Math.max(20, connectTimeoutSeconds + 10);

/** How long a notice is retried before it is given up (Discord down for an hour). */
export const NOTICE_DELIVERY_SECONDS = 3600;

/**
 * The environment lock: once a run has held it this long, the lock asks
 * whether that run still runs (a run terminated by hand never gives it
 * back), then asks again as often.
 */
export const LOCK_HOLDER_CHECK_SECONDS = 180;

/** A run waiting for the lock asks for it again this often: a lock run that was lost starts again from the request. */
export const LOCK_REQUEST_REFRESH_SECONDS = 120;

/**
 * A lock run whose workflow task has waited this long for a worker, on
 * another task queue than the asker's, is served by nobody (its worker
 * is gone): it is started again, with its state, on the asker's.
 */
export const LOCK_STALE_SECONDS = 120;

/**
 * The smoke test after a deploy only reports, so it is kept short: each
 * request gets SMOKE_REQUEST_SECONDS, a failed check is asked again
 * SMOKE_CHECK_ATTEMPTS times in all (an app may still be warming up right
 * after its health gate), and the activity's start-to-close fits them all.
 */
export const SMOKE_REQUEST_SECONDS = 10;
export const SMOKE_CHECK_ATTEMPTS = 3;
export const SMOKE_RETRY_PAUSE_SECONDS = 2;
export const SMOKE_TEST_TIMEOUT_SECONDS = SMOKE_CHECK_ATTEMPTS * (SMOKE_REQUEST_SECONDS + SMOKE_RETRY_PAUSE_SECONDS) + 30;
