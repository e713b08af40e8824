// Search attribute names are written once, in src/temporal/search-attributes.ts;
// the two places that register them with a server by hand (the lab's dev
// server, and the Compose stack) must register exactly those, with their types.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes.ts';
import { REPO_ROOT } from '../support/paths.ts';

/** The SDK spells types KEYWORD / KEYWORD_LIST, the temporal CLI Keyword / KeywordList: compare them alike. */
const typeName = (type: string) => type.replace(/_/g, '').toLowerCase();

/** name -> type, as the source declares them. */
const declared = Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, typeName(key.type)]));

function match(text: string, pattern: RegExp, where: string): RegExpMatchArray {
  const m = text.match(pattern);
  if (!m) throw new Error(`${where}: found no match for ${pattern}; the file changed shape, update this test's parser`);
  return m;
}

/** lab/steps/temporal.sh: LAB_SEARCH_ATTRIBUTES=(Name=Type ...), passed to `temporal server start-dev --search-attribute`. */
function labAttributes(): Record<string, string> {
  const where = 'lab/steps/temporal.sh';
  const text = readFileSync(join(REPO_ROOT, where), 'utf8');
  const [, list] = match(text, /^LAB_SEARCH_ATTRIBUTES=\(([^)]*)\)/m, where);
  return Object.fromEntries(
    list!.trim().split(/\s+/).map((entry) => {
      const [, name, type] = match(entry, /^(\w+)=(\w+)$/, `${where}: entry "${entry}"`);
      return [name!, typeName(type!)];
    }),
  );
}

/** docker-compose.temporal.yml: the search-attributes service's `for a in ...; do temporal operator search-attribute create ...; done`. */
function composeAttributes(): Record<string, string> {
  const where = 'docker-compose.temporal.yml';
  const model = parse(readFileSync(join(REPO_ROOT, where), 'utf8'));
  const command = [model?.services?.['search-attributes']?.command ?? []].flat().join('\n');
  const [, names, body] = match(command, /for a in ([^;]+);\s*do\s+([\s\S]*?)\bdone\b/, `${where}: services.search-attributes.command`);
  match(body!, /search-attribute create\s+--name\s+"?\$\$a"?/, `${where}: the loop body must create an attribute named after the loop variable`);
  const [, type] = match(body!, /--type\s+(\w+)/, `${where}: the loop body's --type`);
  return Object.fromEntries(names!.trim().split(/\s+/).map((name) => [name, typeName(type!)]));
}

describe('search attributes', () => {
  it('are declared in the source, each name once', () => {
    expect(SEARCH_ATTRIBUTES.length).toBeGreaterThan(0);
    expect(new Set(SEARCH_ATTRIBUTES.map((k) => k.name)).size, 'a name is declared twice').toBe(SEARCH_ATTRIBUTES.length);
  });

  it('the lab registers exactly those, with their types', () => {
    expect(labAttributes(), 'lab/steps/temporal.sh LAB_SEARCH_ATTRIBUTES (received) vs src/temporal/search-attributes.ts').toEqual(declared);
  });

  it('the Compose stack registers exactly those, with their types', () => {
    expect(composeAttributes(), 'docker-compose.temporal.yml search-attributes loop (received) vs src/temporal/search-attributes.ts').toEqual(declared);
  });
});
