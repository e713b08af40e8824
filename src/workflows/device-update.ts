// One device's part of a promotion. A smoker is off most of the time, so
// this waits for it durably: it probes with a backoff capped at
// `probeMaxSeconds`, or wakes at once on a `device-online` signal (the
// device's boot hook sends it), for up to `limitSeconds`. Then it runs the
// deploy runbook on the device as a child: by digest, health-gated, rolled
// back by digest on failure. A worker restarted meanwhile changes nothing.
import {
  continueAsNew,
  executeChild,
  condition,
  isCancellation,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.ts';
import { deploy } from './deploy.ts';
import { deployWorkflowId, deviceOnlineSignal, deviceProgressQuery } from './definitions.ts';
import { messageOf } from './failures.ts';
import { QUICK_ACTIVITY_TIMEOUT_SECONDS, QUICK_HEARTBEAT_TIMEOUT_SECONDS } from './timeouts.ts';
import type { DeployResult, DeviceReport, DeviceUpdateInput } from './types.ts';

// An offline device is an answer, not a failure: one attempt per probe, and
// the next probe is the retry.
const { probeHost } = proxyActivities<Activities>({
  startToCloseTimeout: `${QUICK_ACTIVITY_TIMEOUT_SECONDS}s`,
  heartbeatTimeout: `${QUICK_HEARTBEAT_TIMEOUT_SECONDS}s`,
  retry: { maximumAttempts: 1 },
});

const FIRST_PAUSE_SECONDS = 10;
/** Keeps a long wait's history short: the wait goes on in a new run, its start carried over. */
const PROBES_PER_RUN = 200;
/** How often a device whose deploy lock is held (someone deploying by hand) is tried again. */
const BUSY_PAUSE_SECONDS = 60;

export async function deviceUpdate(input: DeviceUpdateInput): Promise<DeviceReport> {
  try {
    return await waitAndUpdate(input);
  } catch (err) {
    // A person gave up on this device (cancelled its child): the promotion goes on without it.
    if (isCancellation(err)) return { device: input.device, state: 'gave-up', detail: 'cancelled by a person', at: Date.now() };
    throw err;
  }
}

async function waitAndUpdate(input: DeviceUpdateInput): Promise<DeviceReport> {
  const report: DeviceReport = { device: input.device, state: 'waiting', waitingSince: input.waitingSince ?? Date.now(), probes: input.probes ?? 0 };
  let nudged = false;
  // It takes nothing: whatever a person sends with it ("Send a Signal") is ignored, and it still nudges.
  setHandler(deviceOnlineSignal, () => void (nudged = true));
  setHandler(deviceProgressQuery, () => report);
  const deadline = report.waitingSince! + input.wait.limitSeconds * 1000;
  const end = (state: DeviceReport['state'], detail?: string): DeviceReport => Object.assign(report, { state, detail, at: Date.now() });

  // Wait until the device answers.
  let pause = FIRST_PAUSE_SECONDS;
  let probesThisRun = 0;
  for (;;) {
    // A device-online signal that arrives during the probe counts for the wait after it.
    nudged = false;
    const probe = await probeHost.executeWithOptions({ summary: `is ${input.device} on?` }, [input.host]);
    report.probes!++;
    probesThisRun++;
    if (probe.online) break;
    report.detail = `offline: ${probe.detail}`;
    if (Date.now() >= deadline) return end('gave-up', `offline for ${Math.round((Date.now() - report.waitingSince!) / 1000)}s: ${probe.detail}`);
    if (probesThisRun >= PROBES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof deviceUpdate>({ ...input, waitingSince: report.waitingSince, probes: report.probes });
    }
    await condition(() => nudged, Math.max(1, Math.min(pause * 1000, deadline - Date.now())));
    pause = Math.min(pause * 2, input.wait.probeMaxSeconds);
  }

  // Update it with the deploy runbook, under the device's own deploy lock.
  report.state = 'updating';
  report.at = Date.now();
  report.detail = undefined;
  for (;;) {
    try {
      const result = await executeChild(deploy, {
        workflowId: deployWorkflowId(input.device),
        // The promotion's notices tell how the fleet went; a device speaks up only when its deploy fails.
        args: [{ environment: input.device, version: input.release, requestedBy: input.requestedBy, expectedDigests: input.expectedDigests, notices: 'failures' }],
        staticSummary: `deploy ${input.release} → ${input.device} (promotion)`,
      });
      return end('updated', `${result.services.length} services by digest`);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError && Date.now() < deadline) {
        report.detail = `a deploy to ${input.device} is running; trying again in ${BUSY_PAUSE_SECONDS}s`;
        await sleep(BUSY_PAUSE_SECONDS * 1000);
        continue;
      }
      const result = (err as { cause?: { details?: unknown[] } }).cause?.details?.[0] as DeployResult | undefined;
      return end(result?.outcome === 'rolled-back' ? 'rolled-back' : 'failed', messageOf(err));
    }
  }
}
