// The registry promotions tag releases in: its API base answers. A GET of
// /v2/ is the distribution spec's version check: 200, or 401 from a registry
// that wants a login first (Docker Hub): both prove it is there and speaks v2.
import { fail, ok, type CheckLine } from './lines.ts';

const TIMEOUT_MS = 10_000;

export function judgeRegistryAnswer(base: string, status: number): CheckLine {
  const url = `${base.replace(/\/+$/, '')}/v2/`;
  if (status === 200 || status === 401) return ok('registry', `${url} answers ${status}`);
  return fail('registry', `${url} answers ${status}, not 200 or 401: is promotion.registry.url the registry's API base?`);
}

export async function checkRegistry(base: string): Promise<CheckLine> {
  const url = `${base.replace(/\/+$/, '')}/v2/`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.body?.cancel();
    return judgeRegistryAnswer(base, res.status);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    return fail('registry', `cannot reach ${url}: ${cause}`);
  }
}
