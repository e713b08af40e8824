// What an approver signs, and the checks that need no key: the shape, what
// the statement is bound to, its age, and names compared as people mean
// them. Pure and deterministic: the workflows (the gate's validator), the
// worker's activities and the CLI all use it. The signature itself is
// checked by the worker, against the keys in its configuration
// (src/signatures/).

/** The SSHSIG namespace (`ssh-keygen -Y sign -n`): a signature for anything else is not one of these. */
export const SIGNATURE_NAMESPACE = 'smokestack-approval';
/** A signed statement is good for this long after it was signed. */
export const STATEMENT_MAX_AGE_SECONDS = 15 * 60;
/** A clock that runs ahead of the worker's by up to this much is forgiven. */
export const CLOCK_SKEW_SECONDS = 60;
/** Limits on what an answer may carry: a statement is a few hundred bytes, an SSH signature under 2 KiB. */
export const MAX_STATEMENT_BYTES = 16 * 1024;
export const MAX_SIGNATURE_BYTES = 8 * 1024;
const MAX_REASON_CHARS = 2000;
const MAX_NAME_CHARS = 200;

/** A statement, as the exact text that was signed, and its armored SSH signature. */
export interface SignedText {
  statement: string;
  signature: string;
}

interface StatementBase {
  purpose: typeof SIGNATURE_NAMESPACE;
  v: 1;
  /** The Temporal namespace the run lives in. */
  namespace: string;
  /** The approver's name, as listed in promotion.approvers. */
  signer: string;
  reason: string;
  /** When it was signed (ISO 8601). */
  at: string;
}

/** An answer to a promotion's approval gate: bound to that run, its release and its candidate digests. */
export interface AnswerStatement extends StatementBase {
  kind: 'promotion-answer';
  workflowId: string;
  runId: string;
  release: string;
  /** Every candidate image, `repository@sha256:…`, sorted. */
  digests: string[];
  decision: 'approve' | 'reject';
}

/** A change to a protected environment outside a promotion, asked for by an approver. */
export interface ChangeStatement extends StatementBase {
  kind: 'change';
  action: ChangeAction;
  environment: string;
  /** deploy: the tag; with images (a rollback), their digests too. */
  version?: string;
  digests?: string[];
  /** restore: the backup put back. */
  backupId?: string;
  /** migrate: the database that moves here. */
  from?: string;
}

export type ChangeAction = 'deploy' | 'restore' | 'migrate';
export type Statement = AnswerStatement | ChangeStatement;

/** What a change request must match: built by the worker from the run's own input. */
export type ChangeTarget = Pick<ChangeStatement, 'action' | 'environment' | 'version' | 'digests' | 'backupId' | 'from'>;

/** A change a run asks the worker to allow: what it does, and the signed request it carries (if any). */
export interface ChangeRequest {
  target: ChangeTarget;
  authorization?: unknown;
}

/** `repository@digest`, sorted: the one way a set of images is written into a statement. */
export const digestList = (images: readonly { repository: string; digest: string }[]): string[] =>
  images.map(({ repository, digest }) => `${repository}@${digest}`).sort();

/**
 * The statement as text, keys in one fixed order, so that the same answer is
 * always the same bytes. The worker verifies the text it was given; it never
 * rebuilds it.
 */
export function statementText(statement: Statement): string {
  const common = { purpose: statement.purpose, v: statement.v, kind: statement.kind, namespace: statement.namespace };
  const signed = { signer: statement.signer, reason: statement.reason, at: statement.at };
  const body =
    statement.kind === 'promotion-answer'
      ? { workflowId: statement.workflowId, runId: statement.runId, release: statement.release, digests: statement.digests, decision: statement.decision }
      : { action: statement.action, environment: statement.environment, version: statement.version, digests: statement.digests, backupId: statement.backupId, from: statement.from };
  return JSON.stringify({ ...common, ...body, ...signed });
}

/**
 * Names compared as people mean them: surrounding blanks dropped, Unicode
 * NFKC, then case folded ("Bob", " bob ", "ＢＯＢ" are one person).
 */
export function personKey(name: string): string {
  return name.trim().normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

export const samePerson = (a: string, b: string): boolean => personKey(a) === personKey(b);

/** The requester's name: "alice" also in "alice via https://github.com/…/runs/1" (CI adds where it ran). */
export const requesterName = (requestedBy: string | undefined): string | undefined => requestedBy?.trim().split(/\s+/)[0] || undefined;

type Parsed<T> = { ok: true; value: T } | { ok: false; why: string };
const refuse = (why: string): { ok: false; why: string } => ({ ok: false, why });

/** Any JSON value in, a signed text or why not out. Never throws: signals and updates carry whatever a person typed. */
export function parseSignedText(given: unknown): Parsed<SignedText> {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    return refuse('an answer is { statement, signature }, signed with `smokestack approve|reject RELEASE --reason …` (add --print-signal for the Web UI)');
  }
  const { statement, signature } = given as Record<string, unknown>;
  if (typeof statement !== 'string' || typeof signature !== 'string') {
    return refuse('unsigned: an answer needs a statement and its SSH signature; sign it with `smokestack approve|reject RELEASE --reason …`');
  }
  if (statement.length > MAX_STATEMENT_BYTES) return refuse(`the statement is over ${MAX_STATEMENT_BYTES} bytes`);
  if (signature.length > MAX_SIGNATURE_BYTES) return refuse(`the signature is over ${MAX_SIGNATURE_BYTES} bytes`);
  if (!/^-----BEGIN SSH SIGNATURE-----\n[A-Za-z0-9+/=\n]+\n-----END SSH SIGNATURE-----\n?$/.test(signature)) {
    return refuse('the signature is not an armored SSH signature (-----BEGIN SSH SIGNATURE-----)');
  }
  return { ok: true, value: { statement, signature } };
}

const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isDigestList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length <= 100 && v.every((d) => typeof d === 'string' && /^[a-z0-9][a-z0-9._/-]*@sha256:[0-9a-f]{64}$/.test(d));

/** The statement's text parsed and its shape checked. */
export function parseStatement(text: string): Parsed<Statement> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return refuse('the statement is not JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return refuse('the statement is not a JSON object');
  const s = raw as Record<string, unknown>;
  if (s.purpose !== SIGNATURE_NAMESPACE || s.v !== 1) return refuse(`the statement is not a ${SIGNATURE_NAMESPACE} statement of version 1`);
  if (!isText(s.namespace, 255)) return refuse('the statement names no Temporal namespace');
  if (!isText(s.signer, MAX_NAME_CHARS) || !s.signer.trim()) return refuse('the statement names no signer');
  if (typeof s.reason !== 'string' || !s.reason.trim() || s.reason.length > MAX_REASON_CHARS) return refuse(`an answer needs a reason (1 to ${MAX_REASON_CHARS} characters)`);
  if (typeof s.at !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s.at) || Number.isNaN(Date.parse(s.at))) return refuse('the statement has no time of signing (ISO 8601, UTC)');
  if (s.kind === 'promotion-answer') {
    if (!isText(s.workflowId, 255) || !isText(s.runId, 255) || !isText(s.release, 128)) return refuse('the answer names no workflow, run or release');
    if (!isDigestList(s.digests)) return refuse('the answer lists no candidate digests');
    if (s.decision !== 'approve' && s.decision !== 'reject') return refuse('the answer is neither approve nor reject');
    return { ok: true, value: s as unknown as AnswerStatement };
  }
  if (s.kind === 'change') {
    if (s.action !== 'deploy' && s.action !== 'restore' && s.action !== 'migrate') return refuse('the request names no action (deploy, restore or migrate)');
    if (!isText(s.environment, 63)) return refuse('the request names no environment');
    for (const field of ['version', 'backupId', 'from'] as const) {
      if (s[field] !== undefined && !isText(s[field], 255)) return refuse(`the request's ${field} is not text`);
    }
    if (s.digests !== undefined && !isDigestList(s.digests)) return refuse("the request's digests are not repository@sha256 digests");
    return { ok: true, value: s as unknown as ChangeStatement };
  }
  return refuse('the statement is neither a promotion answer nor a change request');
}

/** Too old, or from the future: a statement lives STATEMENT_MAX_AGE_SECONDS. */
export function ageRefusal(at: string, nowMs: number): string | null {
  const signedAt = Date.parse(at);
  if (signedAt > nowMs + CLOCK_SKEW_SECONDS * 1000) return `signed in the future (${at}): check the signer's clock`;
  const age = Math.round((nowMs - signedAt) / 1000);
  if (age > STATEMENT_MAX_AGE_SECONDS) return `expired: signed ${age}s ago, and a signature is good for ${STATEMENT_MAX_AGE_SECONDS}s; sign again`;
  return null;
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean =>
  [...(a ?? [])].sort().join(',') === [...(b ?? [])].sort().join(',');

/** What a promotion answer must be bound to: this run, its release and its candidate. */
export interface AnswerBinding {
  namespace: string;
  workflowId: string;
  runId: string;
  release: string;
  digests: string[];
}

/** Why an answer statement does not fit this gate, or null. */
export function answerBindingRefusal(s: AnswerStatement, decision: 'approve' | 'reject', bound: AnswerBinding): string | null {
  if (s.decision !== decision) return `the statement says ${s.decision}, and was sent as ${decision}`;
  if (s.namespace !== bound.namespace) return `signed for namespace ${s.namespace}, not ${bound.namespace}`;
  if (s.workflowId !== bound.workflowId) return `signed for workflow ${s.workflowId}, not ${bound.workflowId}`;
  if (s.runId !== bound.runId) return `signed for another run (${s.runId}), not this one (${bound.runId}): an answer is good for one promotion only`;
  if (s.release !== bound.release) return `signed for release ${s.release}, not ${bound.release}`;
  if (!sameList(s.digests, bound.digests)) return 'signed for another set of images than this release\'s candidate: check `smokestack status production` and sign again';
  return null;
}

/** Why a change request does not ask for exactly this change, or null. */
export function changeBindingRefusal(s: ChangeStatement, namespace: string, target: ChangeTarget): string | null {
  if (s.namespace !== namespace) return `signed for namespace ${s.namespace}, not ${namespace}`;
  if (s.action !== target.action) return `signed for a ${s.action}, not a ${target.action}`;
  if (s.environment !== target.environment) return `signed for ${s.environment}, not ${target.environment}`;
  if ((s.version ?? '') !== (target.version ?? '')) return `signed for version ${s.version ?? 'none'}, not ${target.version ?? 'none'}`;
  if (!sameList(s.digests, target.digests)) return 'signed for other images than this run deploys';
  if ((s.backupId ?? '') !== (target.backupId ?? '')) return `signed for backup ${s.backupId ?? 'none'}, not ${target.backupId ?? 'none'}`;
  if ((s.from ?? '') !== (target.from ?? '')) return `signed for a migration from ${s.from ?? 'nowhere'}, not from ${target.from ?? 'nowhere'}`;
  return null;
}

/** The worker's verdict on a signed text: whose key signed it, or why it does not count. */
export type SignatureCheck = { ok: true; signer: string; fingerprint: string; statement: Statement } | { ok: false; why: string };

/** Why a protected environment may be changed by this run; recorded in its result. */
export interface ChangeAuthority {
  via: 'unprotected' | 'promotion' | 'migration' | 'signed request';
  /** The run whose approval covers this one (a promotion or migration), `workflowId/runId`. */
  coveredBy?: string;
  /** A signed request: who signed it, with which key, and what exactly. */
  signer?: string;
  fingerprint?: string;
  signed?: SignedText;
}
