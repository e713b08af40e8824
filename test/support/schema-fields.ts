// The fields and objects of a zod schema, found by walking it, so a test can
// tell when the schema grew a field that the test does not cover yet.
import { z } from 'zod';

export interface SchemaObject {
  /** Field path of the object: "" for the top level, "<name>" for any key of a map. */
  path: string;
  /** Unknown keys are refused (z.object().strict()). */
  strict: boolean;
}

export interface SchemaMap {
  /** Every field path, e.g. "environments.<name>.services.<name>.http". */
  fields: string[];
  objects: SchemaObject[];
}

/** Kinds that hold no fields. Any other kind stops the walk: teach it here rather than miss fields. */
const LEAVES = new Set(['string', 'number', 'int', 'boolean', 'enum', 'literal']);

export function schemaMap(schema: z.ZodType): SchemaMap {
  const fields = new Set<string>();
  const objects: SchemaObject[] = [];
  const visit = (node: z.ZodType, path: string): void => {
    if (node instanceof z.ZodObject) {
      objects.push({ path, strict: node.def.catchall instanceof z.ZodNever });
      for (const [key, child] of Object.entries(node.shape)) {
        const field = path ? `${path}.${key}` : key;
        fields.add(field);
        visit(child as z.ZodType, field);
      }
    } else if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodNullable) {
      visit(node.unwrap() as z.ZodType, path);
    } else if (node instanceof z.ZodRecord) {
      fields.add(`${path}.<name>`);
      visit(node.valueType as z.ZodType, `${path}.<name>`);
    } else if (node instanceof z.ZodArray) {
      visit(node.element as z.ZodType, `${path}[]`);
    } else if (node instanceof z.ZodUnion) {
      for (const option of node.options) visit(option as z.ZodType, path);
    } else if (!LEAVES.has(node.def.type)) {
      throw new Error(`${path || '(top level)'}: schemaMap does not know a zod ${node.def.type}; teach it`);
    }
  };
  visit(schema, '');
  return { fields: [...fields], objects };
}

/**
 * The values at a field path of a document, with their concrete paths ("<name>"
 * stands for every key, "name[]" for every element of the array at name).
 */
export function valuesAt(doc: unknown, path: string): Array<[at: string, value: any]> {
  let found: Array<[string[], any]> = [[[], doc]];
  const step = (from: Array<[string[], any]>, segment: string): Array<[string[], any]> =>
    from.flatMap(([at, value]): Array<[string[], any]> => {
      if (value === null || typeof value !== 'object') return [];
      if (segment === '<name>') return Object.entries(value).map(([key, child]) => [[...at, key], child]);
      return segment in value ? [[[...at, segment], value[segment]]] : [];
    });
  for (const segment of path ? path.split('.') : []) {
    const [name, ...arrays] = segment.split('[]');
    found = step(found, name!);
    // Each "[]" after the name: every element, at its index (as the loader names it: funnel.0).
    for (const _ of arrays) {
      found = found.flatMap(([at, value]): Array<[string[], any]> =>
        Array.isArray(value) ? value.map((element, index): [string[], any] => [[...at, String(index)], element]) : [],
      );
    }
  }
  return found.map(([at, value]) => [at.join('.'), value]);
}
