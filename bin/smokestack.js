#!/usr/bin/env node
// Runs the TypeScript CLI directly (tsx), so `npx smokestack` needs no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/client/cli.ts');
