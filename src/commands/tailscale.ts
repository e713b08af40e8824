// Tailscale funnel commands: the cloud host's public HTTPS entry points.
import { cmd, type Command } from './command.ts';
import type { FunnelRule } from '../workflows/types.ts';

/** Serves the local port on the public HTTPS port, in the background; setting the same rule again changes nothing. */
export const funnelOn = (rule: FunnelRule): Command =>
  cmd('tailscale', 'funnel', '--bg', `--https=${rule.https}`, `http://127.0.0.1:${rule.target}`);

export const funnelStatus = (): Command => cmd('tailscale', 'funnel', 'status');
