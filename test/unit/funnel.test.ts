// The cloud host's Tailscale funnel: the commands that set it, and how
// `tailscale funnel status` is read back (src/activities/host/funnel.ts).
// Read from the real CLI's output shape and from the lab's stand-in, run
// here with its state in a temporary directory. No host, no Temporal server.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { funnelRulesIn } from '../../src/activities/host/funnel.ts';
import { quote } from '../../src/commands/command.ts';
import { funnelOn, funnelStatus } from '../../src/commands/tailscale.ts';
import { REPO_ROOT } from '../support/paths.ts';

/** `tailscale funnel status` on a real node with two funnel rules. */
const REAL_STATUS = `# Funnel on:
#     - https://prod.tail1234.ts.net

https://prod.tail1234.ts.net (Funnel on)
|-- / proxy http://127.0.0.1:80

https://prod.tail1234.ts.net:8443 (Funnel on)
|-- / proxy http://127.0.0.1:3001
`;

describe('tailscale commands', () => {
  it('funnelOn serves the local port on the public HTTPS port, in the background', () => {
    expect(funnelOn({ https: 443, target: 80 }).argv).toEqual(['tailscale', 'funnel', '--bg', '--https=443', 'http://127.0.0.1:80']);
    expect(funnelOn({ https: 8443, target: 3001 }).argv).toEqual(['tailscale', 'funnel', '--bg', '--https=8443', 'http://127.0.0.1:3001']);
    expect(quote(funnelOn({ https: 10000, target: 8080 }))).toBe('tailscale funnel --bg --https=10000 http://127.0.0.1:8080');
  });

  it('funnelStatus asks for the funnel status', () => {
    expect(funnelStatus().argv).toEqual(['tailscale', 'funnel', 'status']);
  });
});

describe('funnelRulesIn', () => {
  it('reads every funnel rule of the real CLI, 443 when the site names no port', () => {
    expect(funnelRulesIn(REAL_STATUS)).toEqual([
      { https: 443, target: 80 },
      { https: 8443, target: 3001 },
    ]);
  });

  it('reads the same with CRLF line ends', () => {
    expect(funnelRulesIn(REAL_STATUS.replace(/\n/g, '\r\n'))).toEqual([
      { https: 443, target: 80 },
      { https: 8443, target: 3001 },
    ]);
  });

  it('no serve config is no rule', () => {
    expect(funnelRulesIn('No serve config\n')).toEqual([]);
    expect(funnelRulesIn('')).toEqual([]);
  });

  it('a serve site (tailnet only) is not a funnel rule', () => {
    const status = `# Funnel on:
#     - https://prod.tail1234.ts.net

https://x.ts.net (tailnet only)
|-- / proxy http://127.0.0.1:3000

https://prod.tail1234.ts.net (Funnel on)
|-- / proxy http://127.0.0.1:80
`;
    expect(funnelRulesIn(status)).toEqual([{ https: 443, target: 80 }]);
    expect(funnelRulesIn('https://x.ts.net (tailnet only)\n|-- / proxy http://127.0.0.1:3000\n')).toEqual([]);
  });

  it('only a local proxy of the whole site counts', () => {
    const status = `https://prod.tail1234.ts.net (Funnel on)
|-- /api proxy http://127.0.0.1:3001
|-- / proxy http://localhost:80/

https://prod.tail1234.ts.net:8443 (Funnel on)
|-- / proxy http://10.0.0.5:3001

https://prod.tail1234.ts.net:10000 (Funnel on)
|-- / path /var/www
`;
    expect(funnelRulesIn(status)).toEqual([{ https: 443, target: 80 }]);
  });

  it('a proxy line with no site above it is not a rule', () => {
    expect(funnelRulesIn('|-- / proxy http://127.0.0.1:80\n')).toEqual([]);
    // A blank line ends a site.
    expect(funnelRulesIn('https://prod.tail1234.ts.net (Funnel on)\n\n|-- / proxy http://127.0.0.1:80\n')).toEqual([]);
  });
});

describe('funnelRulesIn reads the lab stand-in', () => {
  // The stand-in keeps its rules in /var/lib/tailscale and logs to /var/log: moved to a temporary directory here.
  const dir = mkdtempSync(join(tmpdir(), 'smokestack-tailscale-'));
  const script = join(dir, 'tailscale');
  writeFileSync(
    script,
    readFileSync(join(REPO_ROOT, 'lab/host/tailscale'), 'utf8')
      .replaceAll('/var/lib/tailscale', join(dir, 'state'))
      .replaceAll('/var/log/tailscale.calls', join(dir, 'calls')),
  );
  const tailscale = (argv: readonly string[]) => {
    expect(argv[0]).toBe('tailscale');
    return execFileSync('sh', [script, ...argv.slice(1)], { encoding: 'utf8' });
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads its rules as set by funnelOn, and no rule before any is set', () => {
    expect(tailscale(funnelStatus().argv).trim()).toBe('No serve config');
    expect(funnelRulesIn(tailscale(funnelStatus().argv))).toEqual([]);
    tailscale(funnelOn({ https: 8443, target: 3001 }).argv);
    tailscale(funnelOn({ https: 443, target: 80 }).argv);
    // Setting a rule again changes nothing.
    tailscale(funnelOn({ https: 443, target: 80 }).argv);
    const status = tailscale(funnelStatus().argv);
    expect(funnelRulesIn(status)).toEqual([
      { https: 443, target: 80 },
      { https: 8443, target: 3001 },
    ]);
    // The stand-in was really the one answering.
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toContain('funnel --bg --https=443 http://127.0.0.1:80');
  });
});
