// Waiting for a workflow to reach a state, by asking it (a query) until the
// answer satisfies, every 100 ms; the last answer is in the error.
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && until(value)) return value;
    if (Date.now() > deadline) throw new Error(`never: ${what}; last: ${JSON.stringify(value)?.slice(0, 500)}`);
    await sleep(100);
  }
}
