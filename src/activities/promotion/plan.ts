// A promotion planned from the worker's configuration: refused at once when
// the configuration has no promotion section or the release is no tag.
import { approverNames } from '../../signatures/approvers.ts';
import { releaseProblem } from '../../config/release.ts';
import { hostTargetOf, workerConfig } from '../plan.ts';
import { failure } from '../../workflows/failures.ts';
import type { PromoteInput, PromotionPlan } from '../../workflows/types.ts';

export async function planPromotion(configFile: string, input: PromoteInput): Promise<PromotionPlan> {
  const problem = releaseProblem(input.release);
  if (problem) throw failure('InvalidInput', problem);
  if (typeof input.requestedBy !== 'string' || !input.requestedBy.trim()) {
    throw failure('InvalidInput', 'a promotion needs a requester (--requested-by, $GITHUB_ACTOR or $USER): whoever asks may not approve it');
  }
  const config = workerConfig(configFile);
  const p = config.promotion;
  if (!p) throw failure('InvalidConfig', `${configFile} has no promotion section: see docs/promotion.md`);
  return {
    release: input.release,
    from: p.from,
    to: p.to,
    devices: p.devices,
    hosts: Object.fromEntries([p.to, ...p.devices].map((name) => [name, hostTargetOf(config.environments[name]!)])),
    registry: { url: p.registry.url.replace(/\/+$/, '') },
    repositories: p.repositories,
    approvers: approverNames(p),
    allowSelfApproval: p.allowSelfApproval,
    approvalTimeoutSeconds: p.approvalTimeoutSeconds,
    reminderSeconds: p.reminderSeconds,
    funnel: p.funnel,
    deviceWait: p.deviceWait,
    rollout: p.rollout,
  };
}
