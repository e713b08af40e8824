// An approver's answer as the unit tests sign or judge it: bob approves
// v1.4.0 of run-1, one minute before 10:00 UTC on 2026-12-08.
import { SIGNATURE_NAMESPACE, type AnswerStatement } from '../../src/workflows/signed-statement.ts';

export const CANDIDATE_DIGESTS = ['benjr70/smart-smoker-backend@sha256:' + 'a'.repeat(64), 'benjr70/smart-smoker-frontend@sha256:' + 'b'.repeat(64)];

export const answerStatement = (edit: Partial<AnswerStatement> = {}): AnswerStatement => ({
  purpose: SIGNATURE_NAMESPACE,
  v: 1,
  kind: 'promotion-answer',
  namespace: 'default',
  workflowId: 'promote-production',
  runId: 'run-1',
  release: 'v1.4.0',
  digests: [...CANDIDATE_DIGESTS].reverse(),
  decision: 'approve',
  signer: 'bob',
  reason: 'tested on dev-cloud',
  at: '2026-12-08T09:59:00.000Z',
  ...edit,
});
