// The smoke test after a deploy: the app as its users reach it, asked from
// the worker through SSH to the host's loopback (loopback-http.ts). It only
// reports: a check that fails is a result, never an error, so the workflow
// can say so without failing or undoing a deploy that is already committed.
import { setTimeout as sleep } from 'node:timers/promises';
import { HostUnreachableError, type RemoteHost } from '../../ssh/executor.ts';
import { SMOKE_CHECK_ATTEMPTS, SMOKE_REQUEST_SECONDS, SMOKE_RETRY_PAUSE_SECONDS } from '../../workflows/timeouts.ts';
import type { DeployPlan, SmokeTestCheck, SmokeTestResult } from '../../workflows/types.ts';
import { getOnLoopback, type LoopbackAnswer } from './loopback-http.ts';
import { onHost } from '../remote.ts';

/** Every check of the plan's smoke test, at once over one connection; a failed check is asked again a few times. */
export async function smokeTest(plan: Pick<DeployPlan, 'host' | 'smoke'>): Promise<SmokeTestResult[]> {
  const checks = plan.smoke ?? [];
  return onHost(plan.host, (host) => Promise.all(checks.map((check) => untilPassed(host, check))));
}

async function untilPassed(host: RemoteHost, check: SmokeTestCheck): Promise<SmokeTestResult> {
  let result!: SmokeTestResult;
  for (let attempt = 1; attempt <= SMOKE_CHECK_ATTEMPTS; attempt++) {
    if (attempt > 1) await sleep(SMOKE_RETRY_PAUSE_SECONDS * 1000);
    const answer = await getOnLoopback(host, check.port, check.path, SMOKE_REQUEST_SECONDS * 1000).catch((err: unknown) => {
      // The connection itself is gone: the activity is retried on a new one, rather than every check failing.
      if (err instanceof HostUnreachableError) throw err;
      return err as Error;
    });
    result = judgeSmoke(check, answer);
    if (result.passed) break;
  }
  return result;
}

/** Whether an answer (or the error in its place) is what the check expects, and what to tell a person either way. */
export function judgeSmoke(check: SmokeTestCheck, answer: LoopbackAnswer | Error): SmokeTestResult {
  const asked = `GET :${check.port}${check.path}`;
  const fail = (detail: string): SmokeTestResult => ({ name: check.name, passed: false, detail: `${asked} ${detail}` });
  if (answer instanceof Error) return fail(`got no answer: ${answer.message}`);
  const got = `answered ${answer.status}${answer.contentType ? ` (${answer.contentType.split(';')[0]})` : ''}`;
  if (answer.status !== check.expectStatus) return fail(`${got}, not ${check.expectStatus}: ${excerpt(answer.body)}`);
  if (check.expectText !== undefined && !answer.body.includes(check.expectText)) return fail(`${got} without ${JSON.stringify(check.expectText)}: ${excerpt(answer.body)}`);
  const found = check.expectText === undefined ? '' : `, ${JSON.stringify(check.expectText)} found`;
  return { name: check.name, passed: true, detail: `${asked} ${got}${found}` };
}

/** The start of a body, on one line: enough to tell an nginx error page from the app. */
function excerpt(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  if (!line) return '(empty body)';
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}
