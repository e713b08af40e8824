// Runs the real CLI as a user would, against the test run's Temporal server.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { keepOutput } from './output.ts';
import { REPO_ROOT } from './paths.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/smokestack.js'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      keepOutput('cli.log', `$ smokestack ${args.join(' ')}\n${stdout}${stderr}(exit ${code})\n`);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
