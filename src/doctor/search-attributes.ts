// smokestack's search attributes (src/temporal/search-attributes.ts) against
// what a namespace has registered: which are there, which are missing, and
// which exist with another type (a type cannot be changed in place). Pure:
// doctor reports it, setup acts on it.
// A CommonJS module: its namespaces come off the default export under ESM.
import proto from '@temporalio/proto';
import type { SearchAttributeType } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes.ts';

type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
const { IndexedValueType } = proto.temporal.api.enums.v1;

interface WantedAttribute {
  name: string;
  type: SearchAttributeType;
}

export interface SearchAttributeState {
  present: string[];
  missing: WantedAttribute[];
  /** Registered under our name with another type: "SmokestackVersion is Text, not Keyword". */
  wrongType: { name: string; registered: string; wanted: string }[];
}

/** The server's enum for an SDK type: KEYWORD -> INDEXED_VALUE_TYPE_KEYWORD. */
export function indexedValueType(type: SearchAttributeType): IndexedValueType {
  return IndexedValueType[`INDEXED_VALUE_TYPE_${type}`];
}

/** INDEXED_VALUE_TYPE_KEYWORD_LIST -> KeywordList, as the temporal CLI and Web UI spell it. */
export function typeName(type: IndexedValueType): string {
  // protobufjs enums map names to numbers only: no reverse lookup.
  const raw = Object.entries(IndexedValueType).find(([, value]) => value === type)?.[0] ?? `type ${type}`;
  return raw
    .replace(/^INDEXED_VALUE_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** `registered` is ListSearchAttributesResponse.customAttributes: name -> IndexedValueType. */
export function compareSearchAttributes(
  registered: Record<string, IndexedValueType>,
  wanted: readonly WantedAttribute[] = SEARCH_ATTRIBUTES,
): SearchAttributeState {
  const state: SearchAttributeState = { present: [], missing: [], wrongType: [] };
  for (const attribute of wanted) {
    const has = registered[attribute.name];
    const want = indexedValueType(attribute.type);
    if (has === undefined) state.missing.push(attribute);
    else if (has !== want) state.wrongType.push({ name: attribute.name, registered: typeName(has), wanted: typeName(want) });
    else state.present.push(attribute.name);
  }
  return state;
}

/** What to do about a type conflict: Temporal cannot retype an attribute, so it must go first. */
export function wrongTypeAdvice(state: SearchAttributeState, namespace: string): string {
  const named = state.wrongType.map((w) => `${w.name} is ${w.registered}, not ${w.wanted}`).join('; ');
  const names = state.wrongType.map((w) => `--name ${w.name}`).join(' ');
  return `${named}: remove it (temporal operator search-attribute remove --namespace ${namespace} ${names}), then run smokestack setup`;
}
