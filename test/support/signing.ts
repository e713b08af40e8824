// Approvers' signatures for the lab tests, made with the lab's approver keys
// (lab/steps/secrets.sh: bob and carol are approvers, mallory is not) by the
// same code the CLI signs with: ssh-keygen -Y sign.
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { signStatement } from '../../src/client/signing.ts';
import { PROMOTION_WORKFLOW_ID, promotionProgressQuery } from '../../src/workflows/definitions.ts';
import {
  digestList,
  SIGNATURE_NAMESPACE,
  type AnswerStatement,
  type ChangeStatement,
  type ChangeTarget,
  type SignedText,
} from '../../src/workflows/signed-statement.ts';
import { LAB_CACHE } from './paths.ts';

export type LabSigner = 'bob' | 'carol' | 'mallory';

/** A lab approver's private key file. */
export const approverKey = (name: LabSigner): string => join(LAB_CACHE, 'lab', 'secrets', 'approvers', name);

/** The lab config's protected environments (promotion.to and promotion.devices). */
export const LAB_PROTECTED = new Set(['prod-cloud', 'smoker']);

/** An answer to the running promotion, signed by `signer`'s key (`key`: another's), bound as the CLI binds it unless `edit` changes it. */
export async function signedAnswer(
  client: Client,
  decision: 'approve' | 'reject',
  signer: LabSigner | string,
  edit: (s: AnswerStatement) => void = () => undefined,
  key: LabSigner = signer as LabSigner,
  workflowId = PROMOTION_WORKFLOW_ID,
): Promise<SignedText> {
  const handle = client.workflow.getHandle(workflowId);
  const [desc, progress] = await Promise.all([handle.describe(), handle.query(promotionProgressQuery)]);
  const statement: AnswerStatement = {
    purpose: SIGNATURE_NAMESPACE,
    v: 1,
    kind: 'promotion-answer',
    namespace: 'default',
    workflowId,
    runId: desc.runId,
    release: progress.release,
    digests: digestList(progress.candidate?.images ?? []),
    decision,
    signer,
    reason: `${decision} in the lab`,
    at: new Date().toISOString(),
  };
  edit(statement);
  return signStatement(statement, approverKey(key));
}

/** A request for one change to a protected environment, signed by `signer` (bob unless said). */
export function signedChange(target: ChangeTarget, signer: LabSigner = 'bob', edit: (s: ChangeStatement) => void = () => undefined): Promise<SignedText> {
  const statement: ChangeStatement = {
    purpose: SIGNATURE_NAMESPACE,
    v: 1,
    kind: 'change',
    namespace: 'default',
    ...target,
    signer,
    reason: 'a lab test changes it directly',
    at: new Date().toISOString(),
  };
  edit(statement);
  return signStatement(statement, approverKey(signer));
}

/** A deploy input, with bob's signed request when the environment is protected in the lab config. */
export async function deployInput<T extends { environment: string; version: string; images?: { digest: string | null; imageId: string }[] }>(input: T): Promise<T> {
  if (!LAB_PROTECTED.has(input.environment)) return input;
  const digests = input.images?.map((i) => i.digest ?? i.imageId).sort();
  return { ...input, authorization: await signedChange({ action: 'deploy', environment: input.environment, version: input.version, digests }) };
}

/** The CLI arguments that sign a direct change as bob. */
export const SIGN_AS_BOB = ['--sign', '--as', 'bob', '--key', approverKey('bob'), '--reason', 'a lab test changes it directly'];
