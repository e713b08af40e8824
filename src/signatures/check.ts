// A signed answer or request checked against the approvers' keys in the
// configuration: the worker's check (an activity, for the gate and for
// protected environments) and `smokestack audit`'s, the same function. Keys
// never leave the configuration; workflows receive only the verdict.
import type { Config } from '../config/schema.ts';
import { parseSignedText, parseStatement, type SignatureCheck } from '../workflows/signed-statement.ts';
import { approverNamed, approversOf } from './approvers.ts';
import { verifyText } from './ssh-keygen.ts';

/** Whether a signed text is an approver's, by the keys the configuration lists for its signer. */
export async function checkSignature(config: Config, given: unknown): Promise<SignatureCheck> {
  const signed = parseSignedText(given);
  if (!signed.ok) return signed;
  const statement = parseStatement(signed.value.statement);
  if (!statement.ok) return statement;
  if (!config.promotion) return { ok: false, why: 'the configuration has no promotion section, so it lists no approvers' };
  let approvers;
  try {
    approvers = approversOf(config.promotion);
  } catch (err) {
    return { ok: false, why: `the approvers' keys could not be read: ${(err as Error).message}` };
  }
  const approver = approverNamed(approvers, statement.value.signer);
  if (!approver) return { ok: false, why: `${statement.value.signer} is not an approver (approvers: ${approvers.map((a) => a.name).join(', ')})` };
  if (approver.keys.length === 0) return { ok: false, why: `${approver.name} has no key in the configuration: add it to promotion.approvers or the allowed signers file` };
  const verdict = await verifyText(signed.value.statement, signed.value.signature, approver.keys);
  if (!verdict.ok) return { ok: false, why: `not signed by ${approver.name}: ${verdict.why}` };
  return { ok: true, signer: approver.name, fingerprint: verdict.fingerprint, statement: statement.value };
}
