// docs/configuration.md is generated from the schema (`smokestack config docs`),
// and a test fails when the committed file differs: docs cannot drift.
import { z } from 'zod';
import { configSchema } from './schema.ts';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  const?: unknown;
  format?: string;
}

export function configurationDocs(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const rows: string[] = [];
  walk(schema, '', rows);
  return [
    '# Configuration: smokestack.yml',
    '',
    'Generated from the schema by `npx smokestack config docs`; the validator uses the',
    'same schema, so this page and the errors you see always agree. `smokestack.yml`',
    '(the lab) and `config/smart-smoker.example.yml` (the real hosts) are complete examples.',
    '',
    '| field | type | required | default | meaning |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

function walk(node: JsonSchema, path: string, rows: string[], required = false): void {
  if (path) rows.push(`| \`${path}\` | ${typeOf(node)} | ${required ? 'yes' : ''} | ${defaultOf(node)} | ${describe(node)} |`);
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    walk(child, path ? `${path}.${key}` : key, rows, node.required?.includes(key) ?? false);
  }
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    walk(node.additionalProperties, `${path}.<name>`, rows, false);
  }
  if (node.items) walk(node.items, `${path}[]`, rows, false);
  for (const [i, option] of (node.anyOf ?? []).entries()) {
    if (option.properties) walk(option, `${path} (form ${i + 1})`, rows, false);
  }
}

function typeOf(node: JsonSchema): string {
  if (node.enum) return node.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (node.const !== undefined) return `\`${String(node.const)}\``;
  if (node.anyOf) return node.anyOf.map(typeOf).join(' or ');
  const t = Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
  if (t === 'object' && node.additionalProperties && typeof node.additionalProperties === 'object') return 'map';
  return node.format ? `${t} (${node.format})` : t;
}

function defaultOf(node: JsonSchema): string {
  if (node.default === undefined || typeof node.default === 'object') return '';
  return `\`${String(node.default)}\``;
}

function describe(node: JsonSchema): string {
  const bits = [node.description ?? ''];
  if (node.minimum !== undefined || node.maximum !== undefined) bits.push(`(${node.minimum ?? ''}..${node.maximum ?? ''})`);
  return bits.join(' ').replace(/\|/g, '\\|').trim();
}
