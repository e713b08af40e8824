// What a promotion says about itself: step details, Web UI summaries, the
// commands a person answers it with, and each device's line. Pure and
// workflow-safe, so the runbook stays a runbook.
import { shortDigest as short } from './image-refs.ts';
import type { ApprovalDecision, Candidate, DeviceReport, PromoteInput, PromotionOutcome } from './types.ts';


export const promotionSummary = (input: PromoteInput): string =>
  `promote ${input.release} to production${input.requestedBy ? `, requested by ${input.requestedBy}` : ''}`;

/** What an approver types; quoted so a copy-paste works in any shell. */
export const approveCommand = (release: string): string => `npx smokestack approve ${release} --reason "…"`;
export const rejectCommand = (release: string): string => `npx smokestack reject ${release} --reason "…"`;

/** Images dev does not run (resolved from dev's tag in the registry) are said to be so. */
export const describeCandidate = (c: Candidate): string =>
  `${c.sourceVersion} on dev: ${c.images.map((i) => `${i.repository.split('/').pop()}@${short(i.digest)}${i.from.startsWith('registry') ? ` (not run on dev: ${i.from})` : ''}`).join(', ')}`;

export const describeDecision = (d: ApprovalDecision | undefined): string =>
  d ? `${d.decision} by ${d.by} (${d.via}): ${d.reason}` : 'nobody answered in time: expired';

export function deviceLine(r: DeviceReport): string {
  const since = r.waitingSince ? ` since ${new Date(r.waitingSince).toISOString()}` : '';
  switch (r.state) {
    case 'waiting':
      return `${r.device}: waiting${since}${r.probes ? ` (${r.probes} probes)` : ''}`;
    case 'pending':
      return `${r.device}: not started`;
    default:
      return `${r.device}: ${r.state}${r.detail ? ` (${r.detail})` : ''}`;
  }
}

export const devicesLine = (reports: DeviceReport[]): string => reports.map(deviceLine).join('; ');

export function endMessage(release: string, outcome: PromotionOutcome, reason?: string): string {
  switch (outcome) {
    case 'released':
      return `${release} released to production`;
    case 'partly-released':
      return `${release} released to the cloud, not to every device`;
    case 'rejected':
      return `${release} was rejected: nothing changed`;
    case 'expired':
      return `nobody approved ${release} in time: nothing changed`;
    case 'rolled-back':
      return `promotion of ${release} failed and was undone: ${reason ?? ''}`.trim();
    case 'failed':
      return `promotion of ${release} failed: ${reason ?? ''}`.trim();
  }
}

/** Activity summaries in the Web UI's timeline. */
export const summaries = {
  plan: (input: PromoteInput) => `plan the promotion of ${input.release}`,
  inspect: (env: string) => `what ${env} runs now`,
  records: (envs: string[]) => `last deploys of ${envs.join(', ')}`,
  resolve: (n: number, tag: string) => `resolve ${n} images tagged ${tag}`,
  readTags: (tag: string) => `read the ${tag} tags`,
  pointTags: (tag: string) => `point ${tag} at the release's digests`,
  restoreTags: (tag: string) => `move ${tag} back`,
  funnel: (env: string) => `tailscale funnel on ${env}`,
};
