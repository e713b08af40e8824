// The approval gate's cheap checks (src/workflows/approval.ts precheck): the
// shape of an answer, what it is bound to, its age, who may send it, and the
// gate's state. Pure: no Temporal server, no keys (the signature itself is
// checked by the worker: signatures.test.ts).
import { describe, expect, it } from 'vitest';
import { precheck, requesterName, type ApprovalRules } from '../../src/workflows/approval.ts';
import { statementText, type AnswerStatement } from '../../src/workflows/signed-statement.ts';
import { answerStatement, CANDIDATE_DIGESTS } from '../support/statements.ts';
import type { ApprovalDecision } from '../../src/workflows/types.ts';

const NOW = Date.parse('2026-12-08T10:00:00Z');
const DIGESTS = CANDIDATE_DIGESTS;
const RULES: ApprovalRules = {
  approvers: ['alice', 'bob'],
  allowSelfApproval: false,
  requestedBy: 'alice',
  binding: { namespace: 'default', workflowId: 'promote-production', runId: 'run-1', release: 'v1.4.0', digests: DIGESTS },
};
const OPEN = { open: true, closed: false };
const SIGNATURE = '-----BEGIN SSH SIGNATURE-----\nU1NIU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n';

const statement = answerStatement;
const signed = (edit: Partial<AnswerStatement> = {}) => ({ statement: statementText(statement(edit)), signature: SIGNATURE });
const why = (given: unknown, answer: 'approve' | 'reject' = 'approve', rules = RULES, state = OPEN, used = new Set<string>()) => {
  const r = precheck(answer, given, rules, state, NOW, used);
  return 'why' in r ? r.why : null;
};

describe('requesterName', () => {
  it('is the first word of who requested the release', () => {
    expect(requesterName('alice')).toBe('alice');
    expect(requesterName('alice via https://github.com/x/y/actions/runs/1')).toBe('alice');
    expect(requesterName('  alice   via ci ')).toBe('alice');
    expect(requesterName(undefined)).toBeUndefined();
    expect(requesterName('   ')).toBeUndefined();
  });
});

describe('precheck', () => {
  it('passes an approver\'s answer bound to this run, release and candidate', () => {
    expect(why(signed())).toBeNull();
    expect(why(signed({ decision: 'reject' }), 'reject')).toBeNull();
  });

  it('refuses unsigned and malformed answers with a reason, whatever JSON arrives', () => {
    for (const given of [undefined, null, 1, 'approve', [], [signed()], { by: 'bob', reason: 'x' }, { by: 1, reason: 'x' }, { statement: 1, signature: 2 }]) {
      expect(why(given), JSON.stringify(given)).toMatch(/unsigned|an answer is \{ statement, signature \}/);
    }
    expect(why({ statement: statementText(statement()), signature: 'not armored' })).toMatch(/not an armored SSH signature/);
    expect(why({ statement: '{', signature: SIGNATURE })).toBe('the statement is not JSON');
    expect(why({ statement: 'x'.repeat(20_000), signature: SIGNATURE })).toMatch(/over 16384 bytes/);
    expect(why(signed({ reason: '  ' }))).toMatch(/needs a reason/);
    expect(why(signed({ digests: ['nope'] }))).toMatch(/no candidate digests/);
  });

  it('refuses an answer signed for another run, release, digest set, namespace or decision', () => {
    expect(why(signed({ runId: 'run-0' }))).toMatch(/^signed for another run \(run-0\)/);
    expect(why(signed({ release: 'v1.3.9' }))).toBe('signed for release v1.3.9, not v1.4.0');
    expect(why(signed({ digests: [DIGESTS[0]!] }))).toMatch(/another set of images/);
    expect(why(signed({ namespace: 'staging' }))).toBe('signed for namespace staging, not default');
    expect(why(signed({ decision: 'reject' }), 'approve')).toBe('the statement says reject, and was sent as approve');
  });

  it('refuses an expired statement and one from the future', () => {
    expect(why(signed({ at: '2026-12-08T09:44:00.000Z' }))).toMatch(/^expired: signed 960s ago/);
    expect(why(signed({ at: '2026-12-08T10:05:00.000Z' }))).toMatch(/^signed in the future/);
  });

  it('refuses a signature already sent to this run', () => {
    expect(why(signed(), 'approve', RULES, OPEN, new Set([SIGNATURE]))).toBe('replayed: this signature was sent to this promotion before');
  });

  it('compares names as people mean them: case, width and blanks do not make another person', () => {
    expect(why(signed({ signer: 'BOB' }))).toBeNull();
    expect(why(signed({ signer: ' ｂｏｂ ' }))).toBeNull();
    expect(why(signed({ signer: 'mallory' }))).toBe('mallory is not an approver (approvers: alice, bob)');
    // The requester may not approve, in any spelling, also when CI added where it ran.
    for (const signer of ['alice', 'Alice', 'ALICE', 'ａｌｉｃｅ']) {
      expect(why(signed({ signer }))).toBe(`${signer} requested this release and may not approve it: another approver must`);
    }
    const viaCi = { ...RULES, requestedBy: 'Alice via https://github.com/x/y/actions/runs/1' };
    expect(why(signed({ signer: 'alice' }), 'approve', viaCi)).toMatch(/requested this release/);
    expect(why(signed({ signer: 'alice' }), 'approve', { ...RULES, allowSelfApproval: true })).toBeNull();
    expect(why(signed({ signer: 'alice', decision: 'reject' }), 'reject')).toBeNull();
  });

  it('says what the gate state is before judging the answer', () => {
    expect(why(signed(), 'approve', RULES, { open: false, closed: false })).toBe('no approval is pending yet: the promotion is still checking dev');
    expect(why(null, 'approve', RULES, { open: false, closed: true })).toBe('the approval gate has closed: nobody answered in time');
    const decision: ApprovalDecision = { decision: 'approved', by: 'bob', reason: 'ok', at: 1, via: 'update' };
    expect(why(signed(), 'reject', RULES, { ...OPEN, decision } as never)).toBe('this promotion was already approved by bob');
  });
});
