// Notices for people, off the runbook's critical path. Each run hands its
// notices to a notifier workflow of its own, a child that outlives it: the
// notifier delivers them in order and retries each for up to an hour. A
// Discord that is slow or down neither holds up a deploy nor loses a notice.
import {
  CancellationScope,
  condition,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.ts';
import { noticeSignal } from './definitions.ts';
import { messageOf, NOT_WORTH_RETRYING } from './failures.ts';
import { refusals, refuse } from './refusals.ts';
import { parseNotice } from './signal-input.ts';
import { NOTICE_DELIVERY_SECONDS } from './timeouts.ts';
import type { Notice, NoticeKind } from './types.ts';

const delivery = proxyActivities<Activities>({
  startToCloseTimeout: '20s',
  scheduleToCloseTimeout: `${NOTICE_DELIVERY_SECONDS}s`,
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: NOT_WORTH_RETRYING },
});

/** A run that started and never said how it ended (terminated) leaves its notifier waiting this long. */
const LONGEST_RUN = '1 day';

/**
 * Whether more notices follow (`along`) or the notice says how the run
 * ended. A record, not a list: a new kind does not compile until it is
 * placed, so none can end its notifier early and lose the ones after it.
 */
const PLACE: Record<NoticeKind, 'along' | 'end'> = {
  started: 'along',
  succeeded: 'end',
  'rolled-back': 'end',
  'rollback-failed': 'end',
  failed: 'end',
  'approval-needed': 'along',
  'approval-reminder': 'along',
  approved: 'along',
  released: 'along',
  rejected: 'end',
  expired: 'end',
  'promotion-rolled-back': 'end',
  'promotion-failed': 'end',
  'promotion-done': 'end',
  'backed-up': 'end',
  'backup-failed': 'end',
  'restore-started': 'along',
  restored: 'end',
  'restore-failed': 'end',
  'restore-undo-failed': 'end',
  'validation-failed': 'end',
  'maintenance-started': 'along',
  'maintenance-ended': 'end',
  'migration-rolled-back': 'end',
  'migration-rollback-failed': 'end',
  'migration-failed': 'end',
  'dry-run-done': 'end',
  'source-can-go': 'end',
};
const KINDS = Object.keys(PLACE) as NoticeKind[];

/**
 * Delivers a run's notices in order; ends after the notice of how the run
 * ended. `idleLimit` is the longest a run may go without a notice (a
 * promotion waits days for a person, then for its devices).
 */
export async function notifier(first: Notice, idleLimit: string = LONGEST_RUN): Promise<void> {
  const queue: Notice[] = [first];
  refusals();
  // Any JSON may arrive (a person's "Send a Signal"): a notice that would not render is refused here, not delivered.
  setHandler(noticeSignal, (given: unknown) => {
    const notice = parseNotice(given, KINDS);
    if (!notice.ok) return refuse(noticeSignal.name, given, notice.why);
    queue.push(notice.value);
  });
  for (;;) {
    if (!(await condition(() => queue.length > 0, idleLimit))) return;
    const notice = queue.shift()!;
    try {
      await delivery.notify.executeWithOptions({ summary: `${notice.kind}: ${notice.environment} ${notice.version}` }, [notice]);
    } catch (err) {
      log.warn(`notice "${notice.kind}" of ${notice.run.workflowId} given up: ${messageOf(err)}`);
    }
    if (PLACE[notice.kind] === 'end' && queue.length === 0) return;
  }
}

/**
 * A run's side of its notifier: `send` hands a notice over without waiting
 * for Discord, and never fails the run.
 */
export class Notices {
  private child?: Promise<ChildWorkflowHandle<typeof notifier>>;
  private handingOver: Promise<void> = Promise.resolve();

  constructor(
    private readonly summary: string,
    private readonly idleLimit?: string,
  ) {}

  send(notice: Notice): void {
    this.handingOver = this.handingOver
      // Not cancellable: a cancelled run must still announce how it ended,
      // and its cancellation must not reach the notifier.
      .then(() => CancellationScope.nonCancellable(() => this.handOver(notice)))
      .catch((err) => log.warn(`notice "${notice.kind}" not handed to the notifier: ${messageOf(err)}`));
  }

  /** Resolves once every notice sent is in the notifier's hands (not yet delivered): a run ends only after. */
  handedOver(): Promise<void> {
    return this.handingOver;
  }

  private async handOver(notice: Notice): Promise<void> {
    if (!this.child) {
      const { workflowId, runId } = workflowInfo();
      this.child = startChild(notifier, {
        workflowId: `${workflowId}-notices-${runId}`,
        args: this.idleLimit ? [notice, this.idleLimit] : [notice],
        // The notifier goes on delivering after the run has ended.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `notices: ${this.summary}`,
      });
      await this.child;
      return;
    }
    await (await this.child).signal(noticeSignal, notice);
  }
}
