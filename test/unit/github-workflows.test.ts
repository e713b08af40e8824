// The GitHub Actions workflows only ever run on the self-hosted runner, so
// they are checked here: by actionlint (which runs shellcheck on run: scripts
// when it is installed), and for the properties a deploy must keep.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LAB_CACHE, REPO_ROOT } from '../support/paths.ts';

const actionlint = join(LAB_CACHE, 'bin', 'actionlint');
const files = ['.github/workflows/dev-deploy.yml', '.github/workflows/device-deploy.yml'];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Workflow {
  concurrency: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, { 'runs-on': string[]; env?: Record<string, string>; steps: Step[] }>;
}

const load = (file: string): Workflow => parse(readFileSync(join(REPO_ROOT, file), 'utf8'));
const runs = (wf: Workflow): string[] => Object.values(wf.jobs).flatMap((job) => job.steps.flatMap((s) => (s.run ? [s.run] : [])));

function lint(cwd: string, ...args: string[]) {
  if (!existsSync(actionlint)) throw new Error(`no actionlint at ${actionlint}: run npm run lab:up first`);
  return spawnSync(actionlint, ['-no-color', ...args], { cwd, encoding: 'utf8' });
}

describe('GitHub workflows', () => {
  it('pass actionlint', () => {
    const r = lint(REPO_ROOT, ...files);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('are really linted: actionlint fails a broken workflow', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smokestack-actionlint-'));
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    const broken = join(dir, '.github', 'workflows', 'broken.yml');
    writeFileSync(
      broken,
      [
        'on: push',
        'jobs:',
        '  x:',
        '    runs-on: [self-hosted, no-such-label]',
        '    steps:',
        '      - run: echo "${{ github.nope( }}"',
        '      - run: echo $UNQUOTED',
        '',
      ].join('\n'),
    );
    const r = lint(dir, broken);
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(/no-such-label/);
    expect(r.stdout).toMatch(/expression/);
    // shellcheck (lab/steps/packages.sh installs it) checks the run: scripts.
    expect(r.stdout, 'is shellcheck on PATH?').toMatch(/SC2086/);
  });

  it.each(files)('%s passes values to run: scripts through env only', (file) => {
    for (const script of runs(load(file))) expect(script).not.toContain('${{');
  });

  it.each(files)('%s never cancels a deploy in progress', (file) => {
    expect(load(file).concurrency['cancel-in-progress']).toBe(false);
  });

  it('dev-deploy deploys dev-cloud, then virtual-smoker, each followed to its end', () => {
    const deploys = runs(load('.github/workflows/dev-deploy.yml')).filter((s) => s.includes('smokestack deploy'));
    expect(deploys.map((s) => s.match(/smokestack deploy (\S+)/)?.[1])).toEqual(['dev-cloud', 'virtual-smoker']);
    for (const script of deploys) expect(script).toMatch(/\s--wait(\s|$)/);
  });

  it('device-deploy refuses moving tags on the Pi', () => {
    const wf = load('.github/workflows/device-deploy.yml');
    const steps = wf.jobs.deploy!.steps;
    const guard = steps.findIndex((s) => s.run?.includes('nightly'));
    expect(guard).toBeGreaterThanOrEqual(0);
    expect(guard).toBeLessThan(steps.findIndex((s) => s.run?.includes('smokestack deploy')));
    const run = (device: string, version: string) =>
      spawnSync('bash', ['-e', '-c', steps[guard]!.run!], { env: { ...process.env, DEVICE: device, VERSION: version }, encoding: 'utf8' });
    expect(run('smoker', 'nightly').status).not.toBe(0);
    expect(run('smoker', 'latest').status).not.toBe(0);
    expect(run('smoker', 'v1.2.3').status).toBe(0);
    expect(run('virtual-smoker', 'nightly').status).toBe(0);
  });

  it.each(files)('%s only uses options the smokestack CLI has', (file) => {
    const help = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'smokestack.js'), 'deploy', '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    for (const script of runs(load(file)).filter((s) => s.includes('smokestack deploy'))) {
      for (const option of script.match(/--[a-z][a-z-]*/g) ?? []) expect(help.stdout, `${file}: ${option}`).toContain(option);
    }
  });
});
