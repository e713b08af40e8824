// What the CLI's exit status means, for CI and for people.
export const EXIT = {
  succeeded: 0,
  /** The deploy failed before changing anything that needed undoing. */
  failed: 1,
  /**
   * Refused before any host was changed: bad input or configuration, a
   * secret that is missing or cannot be written, or a running version that
   * fails its own health check (--allow-unhealthy-current overrides that).
   */
  invalid: 2,
  /** Refused: another deploy to this environment is running. */
  busy: 3,
  /** The deploy failed and the previous version was restored and is healthy. */
  rolledBack: 4,
  /** The deploy failed and so did the rollback: the environment needs a person now. */
  rollbackFailed: 5,
  /** Temporal could not be reached. */
  unreachable: 6,
  /** Promotion: an approver rejected the release. Nothing was changed. */
  rejected: 7,
  /** Promotion: nobody approved in time. Nothing was changed. */
  expired: 8,
  /** Promotion: the cloud runs the release, but not every device was updated (rolled back, gave up or skipped). */
  partlyReleased: 9,
} as const;
