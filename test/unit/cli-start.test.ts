// How the CLI starts (issue 6): bin/smokestack.js runs the compiled dist/
// when it is current, and src/ through tsx when it is not; `--help` and a
// mistyped argument load commander and nothing heavy (no Temporal client,
// YAML or zod); errors found later still exit with the code that names them.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/client/exit-codes.ts';
import { REPO_ROOT } from '../support/paths.ts';

const STALE_NOTE = 'dist/ is missing or older than src/';
const scratch = mkdtempSync(join(tmpdir(), 'smokestack-cli-start-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// Module hooks that append every URL the process resolves to a file: they run
// on their own thread and write synchronously, so commander's process.exit()
// after --help loses nothing.
const recorder = `
import { appendFileSync } from 'node:fs';
let file;
export function initialize(data) { file = data; }
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(file, resolved.url + '\\n');
  return resolved;
}`;
const dataUrl = (js: string) => `data:text/javascript,${encodeURIComponent(js)}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Packages loaded from node_modules, and the project's own files, relative to its root. */
  packages: string[];
  files: string[];
}

let runs = 0;
function smokestack(args: string[], env: Record<string, string> = {}, bin = join(REPO_ROOT, 'bin/smokestack.js')): Run {
  const record = join(scratch, `imports-${runs++}.txt`);
  writeFileSync(record, '');
  const register = `import { register } from 'node:module'; register(${JSON.stringify(dataUrl(recorder))}, { data: ${JSON.stringify(record)} });`;
  const r = spawnSync(process.execPath, ['--import', dataUrl(register), bin, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const paths = readFileSync(record, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .map((url) => fileURLToPath(url));
  const root = join(bin, '../..');
  const packages = paths.map((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1]).filter((p): p is string => p !== undefined);
  const files = paths.filter((p) => !p.includes('/node_modules/')).map((p) => relative(root, p));
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, packages: [...new Set(packages)].sort(), files: [...new Set(files)].sort() };
}

describe('the installed CLI', () => {
  beforeAll(() => {
    // `npm test` builds first (pretest); a bare `vitest run` after editing src/ may not have.
    if (smokestack(['--help']).stderr.includes(STALE_NOTE)) {
      execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT });
    }
  }, 120_000);

  it('--help runs the compiled build and loads only commander', () => {
    const run = smokestack(['--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Usage: smokestack');
    expect(run.stderr).toBe('');
    expect(run.packages).toEqual(['commander']);
    expect(run.files).toEqual(['bin/smokestack.js', 'dist/client/cli.js', 'dist/client/exit-codes.js']);
  });

  it('an argument error is answered before anything heavy is loaded', () => {
    const run = smokestack(['deploy', 'dev-cloud']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("required option '-v, --version <tag>' not specified");
    expect(run.packages).toEqual(['commander']);
  });

  it('bad configuration and bad input exit 2, found after the configuration is loaded', () => {
    const missing = smokestack(['--config', join(scratch, 'nowhere.yml'), 'config', 'check']);
    expect(missing.code).toBe(EXIT.invalid);
    expect(missing.stderr).toContain('the file does not exist');
    expect(missing.packages).toContain('yaml');
    expect(missing.packages).not.toContain('@temporalio/client');

    const unknown = smokestack(['deploy', 'staging', '--version', 'v1']);
    expect(unknown.code).toBe(EXIT.invalid);
    expect(unknown.stderr).toContain('unknown environment "staging"');
    expect(unknown.packages).not.toContain('@temporalio/client');
  });

  it('Temporal unreachable exits 6', () => {
    const run = smokestack(['status', 'dev-cloud'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(run.code, run.stderr).toBe(EXIT.unreachable);
    expect(run.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  });
});

describe('bin/smokestack.js chooses dist/ or src/', () => {
  // A copy of bin/ beside a made-up src/ and dist/, each saying where it ran from.
  const tree = join(scratch, 'tree');
  const bin = join(tree, 'bin/smokestack.js');
  const at = (file: string, seconds: number) => utimesSync(join(tree, file), seconds, seconds);

  beforeAll(() => {
    mkdirSync(join(tree, 'src/client'), { recursive: true });
    cpSync(join(REPO_ROOT, 'bin'), join(tree, 'bin'), { recursive: true });
    cpSync(join(REPO_ROOT, 'package.json'), join(tree, 'package.json'));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(tree, 'node_modules'));
    // Type annotations: only tsx can run this file.
    writeFileSync(join(tree, 'src/client/cli.ts'), "const from: string = 'src';\nconsole.log(from);\n");
  });

  function build() {
    rmSync(join(tree, 'dist'), { recursive: true, force: true });
    mkdirSync(join(tree, 'dist/client'), { recursive: true });
    writeFileSync(join(tree, 'dist/client/cli.js'), "console.log('dist');\n");
    at('src/client/cli.ts', 1_000_000);
    at('dist/client/cli.js', 2_000_000);
  }

  it('runs dist/ when every source has a newer compiled file', () => {
    build();
    const run = smokestack(['--help'], {}, bin);
    expect(run.stdout).toBe('dist\n');
    expect(run.stderr).toBe('');
    expect(run.packages).not.toContain('tsx');
  });

  it('runs src/ through tsx, saying so, when a source changed after the build', () => {
    build();
    at('src/client/cli.ts', 3_000_000);
    const run = smokestack([], {}, bin);
    expect(run.stdout).toBe('src\n');
    expect(run.stderr).toContain(STALE_NOTE);
  });

  it('runs src/ when a source has no compiled file yet', () => {
    build();
    writeFileSync(join(tree, 'src/client/new.ts'), 'export {};\n');
    try {
      expect(smokestack([], {}, bin).stdout).toBe('src\n');
    } finally {
      rmSync(join(tree, 'src/client/new.ts'));
    }
  });

  it('runs src/ when there is no dist/', () => {
    build();
    rmSync(join(tree, 'dist'), { recursive: true });
    const run = smokestack([], {}, bin);
    expect(run.stdout).toBe('src\n');
    expect(run.stderr).toContain(STALE_NOTE);
  });
});
