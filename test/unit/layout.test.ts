// The import graph of src/: which layer may reach which. Read with the
// TypeScript parser (no regex over source text), so multi-line imports,
// `export ... from` and dynamic `import()` are all seen.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/paths.ts';

const SRC = join(REPO_ROOT, 'src');

interface Edge {
  /** The importing file, relative to the repository ("src/workflows/deploy.ts"). */
  from: string;
  /** The specifier as written. */
  spec: string;
  /** The imported file, relative to the repository, for relative specifiers; else undefined. */
  to?: string;
  /**
   * Written `import type` / `export type` (or a type position `import('x').T`): erased
   * by every compiler. `import { type A }` is not counted: it is only erased when the
   * compiler proves no value is used, so it is treated as a value import here.
   */
  typeOnly: boolean;
  /** `import('...')` rather than a static declaration. */
  dynamic: boolean;
  line: number;
}

const rel = (abs: string) => relative(REPO_ROOT, abs).split('\\').join('/');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveSpec(fromAbs: string, spec: string): string | undefined {
  const base = resolve(dirname(fromAbs), spec);
  return [base, `${base}.ts`, join(base, 'index.ts')].find((p) => existsSync(p) && p.endsWith('.ts'));
}

/** Dynamic imports whose specifier is not a string literal: the graph cannot follow them. */
const unfollowable: string[] = [];

function edgesOf(abs: string): Edge[] {
  const text = readFileSync(abs, 'utf8');
  const source = ts.createSourceFile(abs, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  const add = (specNode: ts.Node, typeOnly: boolean, dynamic: boolean) => {
    if (!ts.isStringLiteralLike(specNode)) {
      unfollowable.push(`${rel(abs)}:${source.getLineAndCharacterOfPosition(specNode.getStart()).line + 1}: import(${specNode.getText()})`);
      return;
    }
    const spec = specNode.text;
    const to = spec.startsWith('.') ? resolveSpec(abs, spec) : undefined;
    const line = source.getLineAndCharacterOfPosition(specNode.getStart()).line + 1;
    edges.push({ from: rel(abs), spec, to: to && rel(to), typeOnly, dynamic, line });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      add(node.moduleSpecifier, node.importClause?.isTypeOnly ?? false, false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) {
      add(node.arguments[0], false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}

const files = tsFiles(SRC);
const edges = files.flatMap(edgesOf);
const show = (e: Edge) => `${e.from}:${e.line}: ${e.typeOnly ? 'import type' : e.dynamic ? 'import()' : 'import'} '${e.spec}'`;

const under = (dir: string) => (path: string | undefined) => path !== undefined && path.startsWith(`${dir}/`);
const inClient = under('src/client');
const inActivities = under('src/activities');
const inWorkflows = under('src/workflows');

/** Every file reached from `roots` through value imports, with the chain that reaches it. */
function valueClosure(roots: string[]): Map<string, string[]> {
  const chains = new Map<string, string[]>(roots.map((r) => [r, [r]]));
  const queue = [...roots];
  for (let file = queue.shift(); file; file = queue.shift()) {
    for (const e of edges.filter((e) => e.from === file && !e.typeOnly && e.to)) {
      if (chains.has(e.to!)) continue;
      chains.set(e.to!, [...chains.get(file)!, e.to!]);
      queue.push(e.to!);
    }
  }
  return chains;
}

describe('the import graph of src/', () => {
  it('is read completely: imports are found, every relative one resolves, every dynamic one is a literal', () => {
    expect(files.length).toBeGreaterThan(20);
    // The parser sees the imports we know are there, static, type-only and dynamic.
    expect(edges).toContainEqual(expect.objectContaining({ from: 'src/worker.ts', to: 'src/activities/index.ts', typeOnly: false }));
    expect(edges).toContainEqual(expect.objectContaining({ from: 'src/config/schema.ts', to: 'src/workflows/types.ts', typeOnly: true }));
    expect(edges).toContainEqual(expect.objectContaining({ from: 'src/temporal/connection.ts', spec: '@temporalio/client', dynamic: true }));
    const unresolved = edges.filter((e) => e.spec.startsWith('.') && !e.to).map(show);
    expect(unresolved, 'relative imports that resolve to no .ts file').toEqual([]);
    expect(unfollowable, 'dynamic imports of a computed specifier').toEqual([]);
  });

  it('activities and the worker import nothing from src/client/', () => {
    const offending = edges.filter((e) => (inActivities(e.from) || e.from === 'src/worker.ts') && inClient(e.to)).map(show);
    expect(offending).toEqual([]);
    // Nor indirectly: nothing the worker loads is CLI code.
    const loaded = [...valueClosure(['src/worker.ts']).entries()].filter(([f]) => inClient(f)).map(([, chain]) => chain.join(' -> '));
    expect(loaded, 'src/client/ files the worker loads').toEqual([]);
  });

  it('workflows import activities only as types', () => {
    const offending = edges.filter((e) => inWorkflows(e.from) && inActivities(e.to) && !e.typeOnly).map(show);
    expect(offending, 'workflows must write `import type` for activity types').toEqual([]);
  });

  it('the workflow bundle does no I/O: no Node built-in, SSH, MongoDB, Discord or Temporal client/worker/activity package', () => {
    const forbiddenPackages = ['node-ssh', 'mongodb', 'discord.js', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];
    const builtins = new Set(builtinModules);
    const forbidden = (spec: string) =>
      spec.startsWith('node:') || builtins.has(spec.split('/')[0]!) || forbiddenPackages.some((p) => spec === p || spec.startsWith(`${p}/`));
    // Direct imports by files under src/workflows/, type-only ones included.
    const direct = edges.filter((e) => inWorkflows(e.from) && forbidden(e.spec)).map(show);
    expect(direct).toEqual([]);
    // And everything the workflows load through value imports (what the worker bundles for the sandbox).
    const bundle = valueClosure(files.map(rel).filter(inWorkflows));
    expect(bundle.has('src/temporal/search-attributes.ts'), 'the closure follows imports out of src/workflows/').toBe(true);
    // Reported where the bundle first crosses into I/O, not again inside src/activities/.
    const reached = [...bundle.entries()].filter(([file]) => !inActivities(file)).flatMap(([file, chain]) =>
      edges.filter((e) => e.from === file && !e.typeOnly && (forbidden(e.spec) || inActivities(e.to))).map((e) => `${chain.join(' -> ')}: ${show(e)}`),
    );
    expect(reached, 'I/O reached from the workflow bundle').toEqual([]);
  });

  it('outside src/client/, only src/temporal/connection.ts loads @temporalio/client (type imports aside: erased), and only lazily', () => {
    const importers = edges.filter((e) => e.spec === '@temporalio/client' && !inClient(e.from));
    expect(importers.map((e) => e.from), 'connection.ts connects the CLI to Temporal').toContain('src/temporal/connection.ts');
    const others = importers.filter((e) => e.from !== 'src/temporal/connection.ts' && !e.typeOnly).map(show);
    expect(others, 'go through src/temporal/connection.ts instead').toEqual([]);
    // The CLI reads settings from connection.ts on paths that never reach Temporal: the value import is dynamic.
    const eager = importers.filter((e) => !e.typeOnly && !e.dynamic).map(show);
    expect(eager, 'static value imports of @temporalio/client').toEqual([]);
  });

  it('the types that cross the workflow boundary are declared only in src/workflows/types.ts', () => {
    const names = ['HostTarget', 'ComposeFlavor', 'SecretRef', 'ServiceCheck', 'DeployOutcome', 'NoticeKind', 'Notice'];
    const declared = new Map<string, string[]>(names.map((n) => [n, []]));
    for (const abs of files) {
      const source = ts.createSourceFile(abs, readFileSync(abs, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
      const visit = (node: ts.Node) => {
        if (
          (ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node) || ts.isEnumDeclaration(node) || ts.isClassDeclaration(node)) &&
          node.name &&
          declared.has(node.name.text)
        ) {
          const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
          declared.get(node.name.text)!.push(`${rel(abs)}:${line}`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }
    for (const [name, places] of declared) {
      expect(places.map((p) => p.replace(/:\d+$/, '')), `${name} is declared at ${places.join(', ') || 'no place'}`).toEqual([
        'src/workflows/types.ts',
      ]);
    }
  });
});
