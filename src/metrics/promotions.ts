// A promotion waiting for its approval, and since when: the promote
// workflow's own progress query says so (`waitingSince` while the gate is
// open), asked at every scrape, so the answer survives worker restarts.
// There is at most one promotion at a time (workflow ID promote-production).
import { Gauge, type Registry } from 'prom-client';
import type { connectClient } from '../temporal/connection.ts';
import { PROMOTION_WORKFLOW_ID, promotionProgressQuery } from '../workflows/definitions.ts';

/** A Temporal client, as src/temporal/connection.ts connects one. */
export type Client = Awaited<ReturnType<typeof connectClient>>;

export const PROMOTION_AWAITING_APPROVAL = 'smokestack_promotion_awaiting_approval_since_timestamp_seconds';

export interface AwaitingApproval {
  release: string;
  /** ms */
  since: number;
}

/** The running promotion, if its approval gate is open now. */
export async function awaitingApproval(client: Client): Promise<AwaitingApproval | undefined> {
  const handle = client.workflow.getHandle(PROMOTION_WORKFLOW_ID);
  let running: boolean;
  try {
    running = (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    // Never promoted on this server: nothing waits.
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
  if (!running) return undefined;
  const progress = await handle.query(promotionProgressQuery);
  return progress.waitingSince === undefined ? undefined : { release: progress.release, since: progress.waitingSince };
}

/** The gauge, in `registry`; refresh() asks Temporal again and sets it (no series when nothing waits). */
export function approvalGauge(registry: Registry, client: () => Promise<Client>): { refresh(): Promise<void> } {
  const gauge = new Gauge({
    name: PROMOTION_AWAITING_APPROVAL,
    help: 'When the promotion now waiting for an approver started waiting (Unix seconds); absent when none waits',
    labelNames: ['release'] as const,
    registers: [registry],
  });
  return {
    async refresh() {
      const waiting = await awaitingApproval(await client());
      gauge.reset();
      if (waiting) gauge.set({ release: waiting.release }, waiting.since / 1000);
    },
  };
}
