// The GitHub Actions workflows only ever run on the self-hosted runner, so
// they are checked here: by actionlint (which runs shellcheck on run: scripts
// when it is installed), and for the properties a deploy must keep.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LAB_CACHE, REPO_ROOT } from '../support/paths.ts';

const actionlint = join(LAB_CACHE, 'bin', 'actionlint');
const files = ['.github/workflows/dev-deploy.yml', '.github/workflows/device-deploy.yml', '.github/workflows/prod-deploy.yml'];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
}
interface Input {
  type?: string;
  required?: boolean;
}
interface Workflow {
  on: { workflow_dispatch?: { inputs?: Record<string, Input> } } & Record<string, unknown>;
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

  it('prod-deploy is started by hand, with a required version', () => {
    const wf = load('.github/workflows/prod-deploy.yml');
    expect(Object.keys(wf.on)).toEqual(['workflow_dispatch']);
    expect(wf.on.workflow_dispatch?.inputs?.version).toMatchObject({ type: 'string', required: true });
    expect(wf.jobs.promote!.env?.VERSION).toBe('${{ inputs.version }}');
  });

  it('prod-deploy starts the promotion and does not wait for its approval', () => {
    const promotes = runs(load('.github/workflows/prod-deploy.yml')).filter((s) => s.includes('smokestack promote'));
    expect(promotes).toHaveLength(1);
    expect(promotes[0]).toMatch(/smokestack promote "\$VERSION"/);
    expect(promotes[0]).toMatch(/--requested-by "\$REQUESTED_BY"/);
    expect(promotes[0]).not.toMatch(/--wait/);
  });

  it('prod-deploy starts one promotion at a time, never cancelling one', () => {
    expect(load('.github/workflows/prod-deploy.yml').concurrency).toEqual({ group: 'promote-production', 'cancel-in-progress': false });
  });

  it('prod-deploy runs on the same self-hosted runner as dev-deploy', () => {
    const labels = (file: string) => Object.values(load(file).jobs).map((job) => job['runs-on']);
    expect(labels('.github/workflows/prod-deploy.yml')).toEqual([['self-hosted', 'smokestack']]);
    expect(labels('.github/workflows/prod-deploy.yml')).toEqual(labels('.github/workflows/dev-deploy.yml'));
  });

  it("prod-deploy ends with the CLI's exit code and leaves its output in the step summary", () => {
    const step = load('.github/workflows/prod-deploy.yml').jobs.promote!.steps.find((s) => s.run?.includes('smokestack promote'))!;
    const dir = mkdtempSync(join(tmpdir(), 'smokestack-prod-deploy-'));
    // A stand-in for npx that prints what the CLI prints and exits with $CODE.
    writeFileSync(
      join(dir, 'npx'),
      ['#!/bin/sh', 'echo "approve: npx smokestack approve $3 --reason \\"...\\""', 'echo "Web UI: http://temporal.example/promote"', 'exit "$CODE"', ''].join('\n'),
    );
    chmodSync(join(dir, 'npx'), 0o755);
    const run = (code: number) => {
      const summary = join(dir, `summary-${code}.md`);
      // GitHub runs a bash step as `bash -e {0}`: no pipefail unless the script sets it.
      const r = spawnSync('bash', ['-e', '-c', step.run!], {
        env: {
          ...process.env,
          PATH: `${dir}:${process.env.PATH}`,
          CODE: String(code),
          VERSION: 'v1.4.0',
          REQUESTED_BY: 'octocat',
          RUNNER_TEMP: dir,
          GITHUB_STEP_SUMMARY: summary,
        },
        encoding: 'utf8',
      });
      return { status: r.status, stdout: r.stdout, summary: readFileSync(summary, 'utf8') };
    };
    const started = run(0);
    expect(started.status).toBe(0);
    expect(started.stdout).toContain('approve: npx smokestack approve v1.4.0 --reason "..."');
    expect(started.summary).toContain('approve: npx smokestack approve v1.4.0 --reason "..."');
    expect(started.summary).toContain('Web UI: http://temporal.example/promote');
    const refused = run(2);
    expect(refused.status).toBe(2);
    expect(refused.summary).toContain('Web UI:');
  });

  it.each(files)('%s only uses options the smokestack CLI has', (file) => {
    const help = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'smokestack.js'), 'deploy', '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    for (const script of runs(load(file)).filter((s) => s.includes('smokestack deploy'))) {
      for (const option of script.match(/--[a-z][a-z-]*/g) ?? []) expect(help.stdout, `${file}: ${option}`).toContain(option);
    }
  });
});
