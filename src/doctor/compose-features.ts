// What a compose file asks of the host's Docker: read from the file itself,
// so a new `start_interval` in compose/ is noticed before a deploy fails on it.
import { parse } from 'yaml';

/** The services whose healthcheck sets `start_interval` (Docker Engine 25 and later only). */
export function servicesWithStartInterval(composeText: string): string[] {
  // Merge keys (`<<: *defaults`) are common in compose files: a healthcheck may come from one.
  const doc = parse(composeText, { merge: true }) as { services?: Record<string, { healthcheck?: Record<string, unknown> } | null> } | null;
  return Object.entries(doc?.services ?? {})
    .filter(([, service]) => service?.healthcheck?.start_interval !== undefined)
    .map(([name]) => name);
}
