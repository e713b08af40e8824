#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx smokestack` needs no build step.
import { register } from 'tsx/esm/api';

register();
// `smokestack ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
await import('../src/client/cli.ts');
