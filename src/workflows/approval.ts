// The approval gate: an approver says yes or no to a release, with a
// statement signed by their own SSH key. Two ways in, one set of rules:
// - an update (the CLI): its validator refuses a malformed or misbound
//   answer before it enters history; the handler then has the worker check
//   the signature (an activity: keys live in the worker's configuration) and
//   gives the approver the verdict at once;
// - a signal (the Web UI's "Send a Signal", with `--print-signal` output):
//   signals always enter history, so a refused one is recorded as refused and
//   changes nothing.
// Any JSON value may arrive: nothing here throws on a wrong shape.
import { condition, log, patched, setHandler } from '@temporalio/workflow';
import { approveSignal, approveUpdate, rejectSignal, rejectUpdate } from './definitions.ts';
import { messageOf } from './failures.ts';
import {
  ageRefusal,
  answerBindingRefusal,
  parseSignedText,
  parseStatement,
  requesterName,
  samePerson,
  type AnswerBinding,
  type AnswerStatement,
  type SignatureCheck,
  type SignedText,
} from './signed-statement.ts';
import type { AnswerOutcome, ApprovalDecision, RefusedAnswer } from './types.ts';

export { requesterName };

export interface ApprovalRules {
  approvers: string[];
  allowSelfApproval: boolean;
  requestedBy?: string;
  /** What every answer must be signed for: this run, its release, its candidate's digests. */
  binding: AnswerBinding;
}

type Answer = 'approve' | 'reject';

/** How many refused answers are kept (the newest); `refusedCount` counts them all. */
export const REFUSED_KEPT = 50;

/** The worker's check of a signature (an activity). */
export type VerifySignature = (signed: SignedText) => Promise<SignatureCheck>;

interface GateState {
  open: boolean;
  closed: boolean;
  decision?: ApprovalDecision;
}

/** Why an answer is refused before its signature is checked, or what it says. Pure: the validator and the handlers share it. */
export function precheck(
  answer: Answer,
  given: unknown,
  rules: ApprovalRules,
  state: GateState,
  now: number,
  used: ReadonlySet<string>,
): { why: string; statement?: AnswerStatement } | { signed: SignedText; statement: AnswerStatement } {
  if (state.decision) return { why: `this promotion was already ${state.decision.decision} by ${state.decision.by}` };
  if (state.closed) return { why: 'the approval gate has closed: nobody answered in time' };
  if (!state.open) return { why: 'no approval is pending yet: the promotion is still checking dev' };
  const signed = parseSignedText(given);
  if (!signed.ok) return { why: signed.why };
  const parsed = parseStatement(signed.value.statement);
  if (!parsed.ok) return { why: parsed.why };
  const statement = parsed.value;
  if (statement.kind !== 'promotion-answer') return { why: 'that is a signed change request, not an answer to a promotion' };
  const misbound = answerBindingRefusal(statement, answer, rules.binding);
  if (misbound) return { why: misbound, statement };
  const age = ageRefusal(statement.at, now);
  if (age) return { why: age, statement };
  if (used.has(signed.value.signature)) return { why: 'replayed: this signature was sent to this promotion before', statement };
  if (!rules.approvers.some((name) => samePerson(name, statement.signer))) {
    return { why: `${statement.signer} is not an approver (approvers: ${rules.approvers.join(', ')})`, statement };
  }
  const why = selfApproval(answer, statement.signer, rules);
  if (why) return { why, statement };
  return { signed: signed.value, statement };
}

function selfApproval(answer: Answer, signer: string, rules: ApprovalRules): string | null {
  const requester = requesterName(rules.requestedBy);
  if (answer === 'approve' && !rules.allowSelfApproval && requester && samePerson(signer, requester)) {
    return `${signer} requested this release and may not approve it: another approver must`;
  }
  return null;
}

const clip = (text: unknown, max: number): string => (typeof text === 'string' ? text.slice(0, max) : '');

export class ApprovalGate {
  decision?: ApprovalDecision;
  refused: RefusedAnswer[] = [];
  refusedCount = 0;
  waitingSince?: number;
  private open = false;
  private closed = false;
  /** Signatures sent to this run (checked or being checked): none counts twice. */
  private readonly used = new Set<string>();
  private rules: ApprovalRules = { approvers: [], allowSelfApproval: false, binding: { namespace: '', workflowId: '', runId: '', release: '', digests: [] } };

  /** Handlers go in at the start of the run, so an early answer is refused with a reason, not lost. */
  constructor(private readonly verify: VerifySignature) {
    for (const [answer, update, signal] of [
      ['approve', approveUpdate, approveSignal],
      ['reject', rejectUpdate, rejectSignal],
    ] as const) {
      setHandler(update, (given) => this.answer(answer, given, 'update'), {
        validator: (given) => {
          const checked = precheck(answer, given, this.rules, this.state, Date.now(), this.used);
          if ('why' in checked) throw new Error(checked.why);
        },
      });
      setHandler(signal, async (given) => {
        await this.answer(answer, given, 'signal');
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

  private get state(): GateState {
    return { open: this.open, closed: this.closed, decision: this.decision };
  }

  /** Every answer ends here, by update or signal: decided, or refused with why. Never throws. */
  private async answer(answer: Answer, given: unknown, via: ApprovalDecision['via']): Promise<AnswerOutcome> {
    try {
      if (!patched('signed-approvals')) return this.legacyDecide(answer, given, via);
      const checked = precheck(answer, given, this.rules, this.state, Date.now(), this.used);
      if ('why' in checked) return this.refuse(answer, checked.statement, checked.why, via);
      this.used.add(checked.signed.signature);
      const verdict = await this.verify(checked.signed);
      if (!verdict.ok) return this.refuse(answer, checked.statement, verdict.why, via);
      // Checked against the configuration's own spelling of the name, and the gate as it is now.
      const late = this.decision ? `this promotion was already ${this.decision.decision} by ${this.decision.by}` : this.closed ? 'the approval gate closed while the signature was checked' : null;
      const why = late ?? selfApproval(answer, verdict.signer, this.rules);
      if (why) return this.refuse(answer, checked.statement, why, via);
      const s = checked.statement;
      this.decision = {
        decision: answer === 'approve' ? 'approved' : 'rejected',
        by: verdict.signer,
        reason: s.reason,
        at: Date.now(),
        via,
        signedAt: s.at,
        fingerprint: verdict.fingerprint,
        signed: checked.signed,
      };
      return { accepted: true, decision: this.decision };
    } catch (err) {
      return this.refuse(answer, undefined, `the answer could not be checked: ${messageOf(err)}`, via);
    }
  }

  private refuse(answer: Answer, statement: AnswerStatement | undefined, why: string, via: ApprovalDecision['via']): AnswerOutcome {
    this.refusedCount++;
    this.refused.push({ answer, by: clip(statement?.signer, 100), reason: clip(statement?.reason, 200), at: Date.now(), why: clip(why, 500), via });
    if (this.refused.length > REFUSED_KEPT) this.refused.splice(0, this.refused.length - REFUSED_KEPT);
    log.warn(`${answer} ${via} from ${clip(statement?.signer, 100) || 'nobody'} refused: ${why}`);
    return { accepted: false, why };
  }

  /**
   * Runs recorded before signed answers replay as they were decided then, by
   * the named-answer rules of that time; a run that goes on under this code
   * takes only signed answers from here on.
   */
  private legacyDecide(answer: Answer, given: unknown, via: ApprovalDecision['via']): AnswerOutcome {
    const named = (given ?? {}) as { by?: unknown; reason?: unknown };
    const by = typeof named.by === 'string' ? named.by : '';
    const requester = requesterName(this.rules.requestedBy);
    const refused =
      this.decision || this.closed || !this.open || !by.trim() || typeof named.reason !== 'string' || !named.reason.trim() || !this.rules.approvers.includes(by) ||
      (answer === 'approve' && !this.rules.allowSelfApproval && by === requester);
    if (refused) return this.refuse(answer, undefined, 'refused (named answer)', via);
    const decision: ApprovalDecision = { decision: answer === 'approve' ? 'approved' : 'rejected', by, reason: named.reason as string, at: Date.now(), via };
    this.decision = decision;
    return { accepted: true, decision };
  }
}
