// After a migration the old database host is kept as the fallback for a
// while (the seed says 1-2 weeks). This countdown outlives the migration's
// run: a durable timer, then one Discord reminder that the host may go, with
// the checks to run first. Nothing is ever deleted by it.
import { setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { keepSourceQuery } from './definitions.ts';
import { Notices } from './notifier.ts';
import type { KeepSourceInput, KeepSourceState } from './types.ts';

export async function keepSource(input: KeepSourceInput): Promise<KeepSourceState> {
  const state: KeepSourceState = { from: input.from, to: input.to, remindAt: Date.now() + input.keepSeconds * 1000, reminded: false, checks: input.checks };
  setHandler(keepSourceQuery, () => ({ ...state }));
  await sleep(input.keepSeconds * 1000);
  const notices = new Notices(`keep ${input.from}`);
  const { workflowId, runId } = workflowInfo();
  notices.send({
    kind: 'source-can-go',
    environment: input.from,
    version: input.to,
    run: { workflowId, runId },
    details: `Kept since the migration (${input.migration.workflowId}). Before decommissioning ${input.from}, check:\n${input.checks.map((c) => `• ${c}`).join('\n')}\nNothing was deleted: that is a person's decision.`,
  });
  await notices.handedOver();
  state.reminded = true;
  return state;
}
