// The approval gate's rules (src/workflows/approval.ts): who may answer,
// when, and why an answer is refused. Pure: no Temporal server, no workflow.
import { describe, expect, it } from 'vitest';
import { refusal, requesterName, type ApprovalRules } from '../../src/workflows/approval.ts';
import type { ApprovalDecision } from '../../src/workflows/types.ts';

const RULES: ApprovalRules = { approvers: ['alice', 'bob'], allowSelfApproval: false, requestedBy: 'alice' };
const OPEN = { open: true, closed: false };
const answer = (by: string, reason = 'tested on dev-cloud') => ({ by, reason });

describe('requesterName', () => {
  it('is the first word of who requested the release', () => {
    expect(requesterName('alice')).toBe('alice');
    expect(requesterName('alice via https://github.com/x/y/actions/runs/1')).toBe('alice');
    expect(requesterName('  alice   via ci ')).toBe('alice');
  });

  it('is undefined when nobody is named', () => {
    expect(requesterName(undefined)).toBeUndefined();
  });
});

describe('refusal', () => {
  it('lets an approver who did not request the release approve', () => {
    expect(refusal('approve', answer('bob'), RULES, OPEN)).toBeNull();
  });

  it('refuses someone who is not an approver, naming the approvers', () => {
    const why = refusal('approve', answer('mallory'), RULES, OPEN);
    expect(why).toBe('mallory is not an approver (approvers: alice, bob)');
    // Not an approver may not reject either.
    expect(refusal('reject', answer('mallory'), RULES, OPEN)).toBe(why);
  });

  it('names are compared exactly: a different case is another person', () => {
    expect(refusal('approve', answer('Bob'), RULES, OPEN)).toMatch(/^Bob is not an approver/);
  });

  it('refuses the requester approving their own release', () => {
    expect(refusal('approve', answer('alice'), RULES, OPEN)).toBe('alice requested this release and may not approve it: another approver must');
  });

  it('refuses the requester also when CI added where it ran', () => {
    const rules = { ...RULES, requestedBy: 'alice via https://github.com/x/y/actions/runs/1' };
    expect(refusal('approve', answer('alice'), rules, OPEN)).toMatch(/^alice requested this release and may not approve it/);
    expect(refusal('approve', answer('bob'), rules, OPEN)).toBeNull();
  });

  it('lets the requester approve when allowSelfApproval is true', () => {
    expect(refusal('approve', answer('alice'), { ...RULES, allowSelfApproval: true }, OPEN)).toBeNull();
  });

  it('lets the requester reject their own release', () => {
    expect(refusal('reject', answer('alice'), RULES, OPEN)).toBeNull();
  });

  it('with no requester recorded, any approver may approve', () => {
    expect(refusal('approve', answer('alice'), { approvers: ['alice'], allowSelfApproval: false }, OPEN)).toBeNull();
  });

  it('refuses an answer without a name', () => {
    const why = 'an answer needs a name (--as NAME, $GITHUB_ACTOR or $USER)';
    expect(refusal('approve', answer(''), RULES, OPEN)).toBe(why);
    expect(refusal('approve', answer('   '), RULES, OPEN)).toBe(why);
    // A signal from the Web UI may carry anything, or nothing.
    expect(refusal('approve', undefined as never, RULES, OPEN)).toBe(why);
    expect(refusal('reject', { reason: 'no' } as never, RULES, OPEN)).toBe(why);
  });

  it('refuses an answer without a reason', () => {
    const why = 'an answer needs a reason (--reason "…")';
    expect(refusal('approve', answer('bob', ''), RULES, OPEN)).toBe(why);
    expect(refusal('reject', answer('bob', ' \n '), RULES, OPEN)).toBe(why);
    expect(refusal('approve', { by: 'bob' } as never, RULES, OPEN)).toBe(why);
  });

  it('refuses any answer before the gate opens', () => {
    const why = 'no approval is pending yet: the promotion is still checking dev';
    expect(refusal('approve', answer('bob'), RULES, { open: false, closed: false })).toBe(why);
    expect(refusal('reject', answer('bob'), RULES, { open: false, closed: false })).toBe(why);
  });

  it('refuses any answer once the gate closed unanswered', () => {
    const why = 'the approval gate has closed: nobody answered in time';
    expect(refusal('approve', answer('bob'), RULES, { open: false, closed: true })).toBe(why);
    expect(refusal('reject', answer('bob'), RULES, { open: false, closed: true })).toBe(why);
  });

  it('refuses any answer once decided, saying how and by whom', () => {
    const decision: ApprovalDecision = { decision: 'approved', by: 'bob', reason: 'ok', at: 1, via: 'update' };
    expect(refusal('reject', answer('bob'), RULES, { ...OPEN, decision })).toBe('this promotion was already approved by bob');
    const rejected: ApprovalDecision = { ...decision, decision: 'rejected', by: 'alice' };
    expect(refusal('approve', answer('bob'), RULES, { open: false, closed: true, decision: rejected })).toBe('this promotion was already rejected by alice');
  });

  it('says what the gate state is before judging the answer', () => {
    // A nameless answer to a closed gate is told the gate closed: the answerer cannot fix that by adding a name.
    expect(refusal('approve', answer(''), RULES, { open: false, closed: true })).toMatch(/closed/);
    expect(refusal('approve', answer('mallory'), RULES, { open: false, closed: false })).toMatch(/no approval is pending/);
  });
});
