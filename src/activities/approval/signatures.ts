// The worker's side of the gate: a protected environment changes only by a
// promotion (or a migration) or by an approver's signed request, checked in
// the first activity of the run that would change it.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';
import { protectedEnvironments } from '../../config/protection.ts';
import { checkSignature } from '../../signatures/check.ts';
import { failure } from '../../workflows/failures.ts';
import {
  ageRefusal,
  changeBindingRefusal,
  type ChangeAuthority,
  type ChangeTarget,
  type SignedText,
} from '../../workflows/signed-statement.ts';
import { claimSignature } from './used-requests.ts';

/** Where the worker keeps its records: stateDir, else /var/lib/smokestack as root, else ~/.local/state/smokestack. */
export const stateDirOf = (config: Config): string =>
  config.stateDir ?? (process.getuid?.() === 0 ? '/var/lib/smokestack' : join(homedir(), '.local', 'state', 'smokestack'));

/**
 * The chains of runs that may change a protected environment without a
 * request of their own, child first: a promotion's deploys (the cloud, and
 * its undo), a device's deploy within a promotion, and a migration's switch.
 * Each root checks its own authority: a promotion at its approval gate, a
 * migration by its signed request. Types and parents come from Temporal's
 * own record of the runs, which no client can write.
 */
const COVERING_CHAINS: Record<string, string[][]> = {
  deploy: [['promote'], ['deviceUpdate', 'promote'], ['migrate']],
};

/**
 * Refuses (Unauthorized, nothing changed) a change to a protected
 * environment that neither a covering run nor a valid signed request allows.
 */
export async function authorizeChange(config: Config, target: ChangeTarget, authorization: unknown): Promise<ChangeAuthority> {
  if (!protectedEnvironments(config).has(target.environment)) return { via: 'unprotected' };
  const { info, client } = Context.current();
  const run = info.workflowExecution;
  if (!run) throw failure('Unauthorized', `refused: ${target.environment} is protected, and this step runs outside any workflow`);
  const covering = await coveringRun(client, info.workflowType ?? '', run);
  if (covering) return covering;
  const how = `${target.environment} is protected: it changes through \`smokestack promote\`, or with an approver's signed request (--sign)`;
  if (authorization === undefined || authorization === null) throw failure('Unauthorized', `refused: ${how}`);
  const check = await checkSignature(config, authorization);
  if (!check.ok) throw failure('Unauthorized', `refused: the signed request does not hold: ${check.why}`);
  const s = check.statement;
  if (s.kind !== 'change') throw failure('Unauthorized', 'refused: that is an answer to a promotion, not a request for this change');
  if (target.action === 'restore' && !target.backupId) throw failure('Unauthorized', 'refused: a signed restore names its backup (--backup ID)');
  const mismatch = changeBindingRefusal(s, info.workflowNamespace ?? '', target);
  if (mismatch) throw failure('Unauthorized', `refused: the signed request is not for this change: ${mismatch}`);
  const age = ageRefusal(s.at, Date.now());
  if (age) throw failure('Unauthorized', `refused: the signed request is ${age}`);
  const signed = authorization as SignedText;
  const claim = claimSignature(stateDirOf(config), signed.signature, `${run.workflowId}/${run.runId}`);
  if (!claim.ok) throw failure('Unauthorized', `refused: replayed: this signed request was used already, by ${claim.usedBy}; sign a new one`);
  return { via: 'signed request', signer: check.signer, fingerprint: check.fingerprint, signed: { statement: signed.statement, signature: signed.signature } };
}

async function coveringRun(client: Client, type: string, run: { workflowId: string; runId: string }): Promise<ChangeAuthority | undefined> {
  const chains = COVERING_CHAINS[type] ?? [];
  if (chains.length === 0) return undefined;
  const types: string[] = [];
  let parent = (await client.workflow.getHandle(run.workflowId, run.runId).describe()).parentExecution;
  let root = parent;
  while (parent && types.length < 3) {
    const desc = await client.workflow.getHandle(parent.workflowId!, parent.runId!).describe();
    types.push(desc.type);
    root = parent;
    parent = desc.parentExecution;
  }
  if (!root || parent) return undefined;
  const chain = chains.find((c) => c.join('<') === types.join('<'));
  if (!chain) return undefined;
  return { via: chain.at(-1) === 'migrate' ? 'migration' : 'promotion', coveredBy: `${root.workflowId}/${root.runId}` };
}
