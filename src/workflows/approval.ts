// The approval gate: a person says yes or no to a release. Two ways in,
// one set of rules:
// - an update (the CLI): its validator refuses a wrong answer before it
//   enters history, and the approver gets the decision back at once;
// - a signal (the Web UI's "Send a Signal", `temporal workflow signal`):
//   signals always enter history, so a refused one is recorded as refused
//   and changes nothing.
// Names are self-declared: Temporal does not authenticate them (docs/promotion.md).
import { condition, log, setHandler } from '@temporalio/workflow';
import { approveSignal, approveUpdate, rejectSignal, rejectUpdate } from './definitions.ts';
import type { ApprovalAnswer, ApprovalDecision, RefusedAnswer } from './types.ts';

export interface ApprovalRules {
  approvers: string[];
  allowSelfApproval: boolean;
  requestedBy?: string;
}

type Answer = 'approve' | 'reject';

/** Why an answer is refused, or null when it stands. Pure: the validator and the signal handler share it. */
/** The requester's name: "alice" also in "alice via https://github.com/…/runs/1" (CI adds where it ran). */
export const requesterName = (requestedBy: string | undefined): string | undefined => requestedBy?.trim().split(/\s+/)[0];

export function refusal(
  answer: Answer,
  given: ApprovalAnswer,
  rules: ApprovalRules,
  state: { open: boolean; closed: boolean; decision?: ApprovalDecision },
): string | null {
  if (state.decision) return `this promotion was already ${state.decision.decision} by ${state.decision.by}`;
  if (state.closed) return 'the approval gate has closed: nobody answered in time';
  if (!state.open) return 'no approval is pending yet: the promotion is still checking dev';
  if (!given?.by?.trim()) return 'an answer needs a name (--as NAME, $GITHUB_ACTOR or $USER)';
  if (!given.reason?.trim()) return 'an answer needs a reason (--reason "…")';
  if (!rules.approvers.includes(given.by)) return `${given.by} is not an approver (approvers: ${rules.approvers.join(', ')})`;
  if (answer === 'approve' && !rules.allowSelfApproval && given.by === requesterName(rules.requestedBy)) {
    return `${given.by} requested this release and may not approve it: another approver must`;
  }
  return null;
}

export class ApprovalGate {
  decision?: ApprovalDecision;
  readonly refused: RefusedAnswer[] = [];
  waitingSince?: number;
  private open = false;
  private closed = false;
  private rules: ApprovalRules = { approvers: [], allowSelfApproval: false };

  /** Handlers go in at the start of the run, so an early answer is refused with a reason, not lost. */
  constructor() {
    for (const [answer, update, signal] of [
      ['approve', approveUpdate, approveSignal],
      ['reject', rejectUpdate, rejectSignal],
    ] as const) {
      setHandler(update, (given) => this.decide(answer, given, 'update'), {
        validator: (given) => {
          const why = this.refusal(answer, given);
          if (why) throw new Error(why);
        },
      });
      setHandler(signal, (given) => {
        const why = this.refusal(answer, given);
        if (why) {
          this.refused.push({ answer, by: given?.by ?? '', reason: given?.reason ?? '', at: Date.now(), why });
          log.warn(`${answer} signal from ${given?.by || 'nobody'} refused: ${why}`);
          return;
        }
        this.decide(answer, given, 'signal');
      });
    }
  }

  /**
   * Opens the gate and waits for a decision, at most `timeoutSeconds`.
   * `remind` runs every `reminderSeconds` while nobody answered. Undefined: expired.
   */
  async wait(rules: ApprovalRules, timeoutSeconds: number, reminderSeconds: number, remind: () => void): Promise<ApprovalDecision | undefined> {
    this.rules = rules;
    this.open = true;
    this.waitingSince = Date.now();
    const deadline = this.waitingSince + timeoutSeconds * 1000;
    while (!this.decision) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const answered = await condition(() => this.decision !== undefined, Math.min(left, reminderSeconds * 1000));
      if (!answered && Date.now() < deadline) remind();
    }
    this.open = false;
    this.closed = true;
    return this.decision;
  }

  get isOpen(): boolean {
    return this.open;
  }

  private refusal(answer: Answer, given: ApprovalAnswer): string | null {
    return refusal(answer, given, this.rules, { open: this.open, closed: this.closed, decision: this.decision });
  }

  private decide(answer: Answer, given: ApprovalAnswer, via: ApprovalDecision['via']): ApprovalDecision {
    this.decision = { decision: answer === 'approve' ? 'approved' : 'rejected', by: given.by, reason: given.reason, at: Date.now(), via };
    return this.decision;
  }
}
