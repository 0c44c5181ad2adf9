// The trimmed provider schema committed with the project (schema/aws-provider-<version>.trimmed.json):
// the `terraform providers schema -json` output of the pinned provider, cut down to the types this
// project can synthesize, so `npm run validate` needs nothing outside the repository.
import { join } from 'node:path';
import type { ProviderSchemaJson } from './provider-schema';
import type { TypeSet } from './synthesizable-types';

/** Where the trimmed schema of provider `version` is committed. */
export function committedSchemaPath(version: string, projectDir = join(__dirname, '..', '..')): string {
  return join(projectDir, 'schema', `aws-provider-${version}.trimmed.json`);
}

/** Documentation only: the validator reads types and flags, never descriptions. */
const STRIPPED_KEYS = new Set(['description', 'description_kind']);

export interface TrimResult {
  readonly json: ProviderSchemaJson;
  /** Wanted types no provider in the full schema has: a typo, or a provider release without them. */
  readonly missing: TypeSet;
}

/**
 * Keeps the wanted resource and data source types of a full schema and the configuration blocks of
 * their providers, without descriptions, keys sorted (stable diffs). Ephemeral resources, functions and
 * identity schemas are dropped: synthesized stacks of this project have none.
 */
export function trimProviderSchema(full: ProviderSchemaJson, wanted: TypeSet): TrimResult {
  const providers: NonNullable<ProviderSchemaJson['provider_schemas']> = {};
  const found = { resources: new Set<string>(), dataSources: new Set<string>() };
  for (const [address, provider] of Object.entries(full.provider_schemas ?? {})) {
    const resources = pick(provider.resource_schemas ?? {}, wanted.resources, found.resources);
    const dataSources = pick(provider.data_source_schemas ?? {}, wanted.dataSources, found.dataSources);
    // A provider none of whose types is wanted (e.g. terraform's builtin one) is left out, block and all.
    if (!Object.keys(resources).length && !Object.keys(dataSources).length) continue;
    providers[address] = {
      ...(provider.provider ? { provider: strip(provider.provider) as NonNullable<typeof provider.provider> } : {}),
      resource_schemas: resources,
      data_source_schemas: dataSources,
    };
  }
  return {
    json: { format_version: full.format_version ?? '1.0', provider_schemas: sortKeys(providers) as typeof providers },
    missing: {
      resources: wanted.resources.filter((type) => !found.resources.has(type)),
      dataSources: wanted.dataSources.filter((type) => !found.dataSources.has(type)),
    },
  };
}

/**
 * JSON with one line per attribute (and any value short enough on one line): near the size of compact
 * JSON, and a provider upgrade shows as a readable diff.
 */
export function formatSchemaJson(value: unknown): string {
  return `${format(value, '')}\n`;
}

const LINE_LIMIT = 120;

function format(value: unknown, indent: string): string {
  const compact = JSON.stringify(value);
  if (typeof value !== 'object' || value === null || indent.length + compact.length <= LINE_LIMIT) return compact;
  // An attribute with a cty type is one line however long its type: one attribute, one diff line.
  if (!Array.isArray(value) && 'type' in value) return compact;
  const inner = `${indent} `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + format(item, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${format(item, inner)}`).join(',\n')}\n${indent}}`;
}

function pick<T>(schemas: Record<string, T>, wanted: string[], found: Set<string>): Record<string, T> {
  const picked: Record<string, T> = {};
  for (const type of [...wanted].sort()) {
    if (!(type in schemas)) continue;
    picked[type] = strip(schemas[type]) as T;
    found.add(type);
  }
  return picked;
}

/** A schema entry (`{version, block}`) without descriptions; names of attributes and cty types are kept as they are. */
function strip(entry: unknown): unknown {
  const { block, ...rest } = entry as { block?: unknown };
  return sortKeys({ ...withoutDocs(rest), ...(block === undefined ? {} : { block: stripBlock(block) }) });
}

function stripBlock(block: unknown): unknown {
  const { attributes, block_types: blockTypes, ...rest } = block as { attributes?: Record<string, unknown>; block_types?: Record<string, unknown> };
  return sortKeys({
    ...withoutDocs(rest),
    ...(attributes ? { attributes: mapValues(attributes, stripAttribute) } : {}),
    ...(blockTypes ? { block_types: mapValues(blockTypes, (blockType) => strip(blockType)) } : {}),
  });
}

function stripAttribute(attribute: unknown): unknown {
  const { nested_type: nested, ...rest } = attribute as { nested_type?: { attributes?: Record<string, unknown> } };
  if (!nested) return sortKeys(withoutDocs(rest));
  const { attributes, ...nestedRest } = nested;
  return sortKeys({ ...withoutDocs(rest), nested_type: sortKeys({ ...withoutDocs(nestedRest), ...(attributes ? { attributes: mapValues(attributes, stripAttribute) } : {}) }) });
}

function withoutDocs(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([key]) => !STRIPPED_KEYS.has(key)));
}

function mapValues(record: Record<string, unknown>, fn: (value: unknown) => unknown): Record<string, unknown> {
  return sortKeys(Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)])));
}

function sortKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
