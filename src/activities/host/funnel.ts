// The Tailscale funnel on the cloud host: set from configuration, then
// proven. `tailscale funnel status` must list every rule, and what each
// rule serves must answer on the host.
import { funnelOn, funnelStatus } from '../../commands/tailscale.ts';
import { httpStatus } from '../../commands/files.ts';
import type { FunnelRule, HostTarget } from '../../workflows/types.ts';
import { failure } from '../../workflows/failures.ts';
import { onHost } from '../remote.ts';

/** The rules `tailscale funnel status` shows: "https://name[:port] (Funnel on)" then "|-- / proxy URL". */
export function funnelRulesIn(status: string): FunnelRule[] {
  const rules: FunnelRule[] = [];
  let port: number | null = null;
  for (const line of status.split('\n')) {
    const site = /^https:\/\/[^\s:/]+(?::(\d+))?\/?\s+\(Funnel on\)/.exec(line.trim());
    if (site) {
      port = Number(site[1] ?? 443);
      continue;
    }
    const proxy = /^\|--\s+\/\s+proxy\s+https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)\/?$/.exec(line.trim());
    if (proxy && port !== null) rules.push({ https: port, target: Number(proxy[1]) });
    if (line.trim() === '') port = null;
  }
  return rules;
}

/** Sets every rule (idempotent), then verifies each is on and its target answers. Returns a line per rule. */
export async function configureFunnel(host: HostTarget, rules: FunnelRule[]): Promise<string[]> {
  return onHost(host, async (remote) => {
    for (const rule of rules) await remote.check(funnelOn(rule), { timeoutSeconds: 60 });
    const listed = funnelRulesIn(await remote.check(funnelStatus(), { timeoutSeconds: 30 }));
    const lines: string[] = [];
    for (const rule of rules) {
      if (!listed.some((l) => l.https === rule.https && l.target === rule.target)) {
        throw failure('FunnelUnverified', `tailscale funnel status does not list https:${rule.https} -> 127.0.0.1:${rule.target}`);
      }
      const probe = await remote.run(httpStatus(`http://127.0.0.1:${rule.target}/`), { timeoutSeconds: 30 });
      const status = probe.stdout.trim();
      if (probe.code !== 0 || !/^[23]\d\d$/.test(status)) {
        throw failure('FunnelUnverified', `funnel https:${rule.https} serves 127.0.0.1:${rule.target}, which does not answer (${status || probe.stderr.trim()})`);
      }
      lines.push(`https:${rule.https} -> :${rule.target} (${status})`);
    }
    return lines;
  });
}
