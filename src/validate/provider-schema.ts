// Offline `terraform validate`, for the part that needs the provider: checks synthesized Terraform JSON
// against a provider schema as printed by `terraform providers schema -json`. No provider binary, no network.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

type CtyType = string | [string, unknown];

export interface SchemaAttribute {
  readonly type?: CtyType;
  readonly nested_type?: { attributes: Record<string, SchemaAttribute>; nesting_mode: string };
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  readonly sensitive?: boolean;
  readonly deprecated?: boolean;
  /** Documentation; the trimmed schema leaves it out. */
  readonly description?: string;
  readonly description_kind?: string;
}

export interface SchemaBlock {
  readonly attributes?: Record<string, SchemaAttribute>;
  readonly block_types?: Record<string, { nesting_mode: string; block: SchemaBlock; min_items?: number; max_items?: number }>;
  readonly deprecated?: boolean;
  /** Documentation; the trimmed schema leaves it out. */
  readonly description?: string;
  readonly description_kind?: string;
}

export interface ProviderSchema {
  readonly resources: Record<string, SchemaBlock>;
  readonly dataSources: Record<string, SchemaBlock>;
  /** Provider-configuration blocks by local name (`aws`); a schema snapshot may have none. */
  readonly providers: Record<string, SchemaBlock>;
}

/** A file as printed by `terraform providers schema -json`. */
export interface ProviderSchemaJson {
  readonly format_version?: string;
  readonly provider_schemas?: Record<
    string,
    {
      readonly provider?: { version?: number; block: SchemaBlock };
      readonly resource_schemas?: Record<string, { version?: number; block: SchemaBlock }>;
      readonly data_source_schemas?: Record<string, { version?: number; block: SchemaBlock }>;
      /** Not synthesized by this project; the trimmed schema leaves them out. */
      readonly ephemeral_resource_schemas?: Record<string, { version?: number; block: SchemaBlock }>;
    }
  >;
}

/** Reads a schema file's JSON, plain or gzip. */
export function readProviderSchemaJson(path: string): ProviderSchemaJson {
  const raw = readFileSync(path);
  const text = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  const json = JSON.parse(text) as ProviderSchemaJson;
  if (!json.provider_schemas) throw new Error(`${path}: not a provider schema (no "provider_schemas"); produce one with \`terraform providers schema -json\``);
  return json;
}

/** Reads a `terraform providers schema -json` file (plain or gzip) and merges every provider in it. */
export function loadProviderSchema(path: string): ProviderSchema {
  return providerSchemaFrom(readProviderSchemaJson(path));
}

/** Merges every provider of a parsed schema file. */
export function providerSchemaFrom(json: ProviderSchemaJson): ProviderSchema {
  const schema = { resources: {} as Record<string, SchemaBlock>, dataSources: {} as Record<string, SchemaBlock>, providers: {} as Record<string, SchemaBlock> };
  for (const [address, provider] of Object.entries(json.provider_schemas ?? {})) {
    // `registry.terraform.io/hashicorp/aws` is configured as `provider "aws"`.
    if (provider.provider) schema.providers[address.split('/').pop() as string] = provider.provider.block;
    for (const [type, entry] of Object.entries(provider.resource_schemas ?? {})) schema.resources[type] = entry.block;
    for (const [type, entry] of Object.entries(provider.data_source_schemas ?? {})) schema.dataSources[type] = entry.block;
  }
  return schema;
}

/** Terraform's own arguments, valid on every resource and data source. */
const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection', '//']);
/** Data sources built into Terraform rather than a provider. */
const BUILTIN_DATA_SOURCES = new Set(['terraform_remote_state']);
const BUILTIN_RESOURCES = new Set(['terraform_data', 'null_resource']);
/** Terraform's own arguments of a provider block. */
const PROVIDER_META_ARGUMENTS = new Set(['alias', 'version', '//']);

/** Whether a resource or data source type is Terraform's own, not a provider's (never in a provider schema). */
export function isBuiltinType(kind: 'resource' | 'data', type: string): boolean {
  return (kind === 'data' ? BUILTIN_DATA_SOURCES : BUILTIN_RESOURCES).has(type);
}

/** Every problem in one synthesized stack, one line each: `<stack>: <type>.<name>.<path>: <problem>`. */
export function validateStack(stackName: string, stackJson: Record<string, unknown>, schema: ProviderSchema): string[] {
  const problems: string[] = [];
  const check = (kind: 'resource' | 'data', schemas: Record<string, SchemaBlock>, builtins: Set<string>) => {
    const section = (stackJson[kind] ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, instances] of Object.entries(section)) {
      const prefix = kind === 'data' ? `data.${type}` : type;
      if (builtins.has(type)) continue;
      const block = schemas[type];
      if (!block) {
        problems.push(`${stackName}: ${prefix}: unknown ${kind === 'data' ? 'data source' : 'resource'} type`);
        continue;
      }
      for (const [name, body] of Object.entries(instances)) {
        const report = (path: string, message: string) => problems.push(`${stackName}: ${prefix}.${name}${path}: ${message}`);
        checkBlock(body, block, '', report, true);
      }
    }
  };
  check('resource', schema.resources, BUILTIN_RESOURCES);
  check('data', schema.dataSources, BUILTIN_DATA_SOURCES);
  // Provider blocks only where the schema has their configuration block (a published snapshot may not).
  for (const [name, configs] of Object.entries((stackJson.provider ?? {}) as Record<string, unknown>)) {
    const block = schema.providers[name];
    if (!block) continue;
    const list = Array.isArray(configs) ? configs : [configs];
    list.forEach((config, i) => {
      const label = list.length > 1 ? `provider.${name}[${i}]` : `provider.${name}`;
      const report = (path: string, message: string) => problems.push(`${stackName}: ${label}${path}: ${message}`);
      if (!isObject(config)) {
        report('', `expected a block, got ${describeValue(config)}`);
        return;
      }
      const body = Object.fromEntries(Object.entries(config).filter(([key]) => !PROVIDER_META_ARGUMENTS.has(key)));
      checkBlock(body, block, '', report);
    });
  }
  return problems;
}

type Report = (path: string, message: string) => void;

function checkBlock(body: Record<string, unknown>, block: SchemaBlock, path: string, report: Report, topLevel = false): void {
  const attributes = block.attributes ?? {};
  const blockTypes = block.block_types ?? {};
  for (const [key, value] of Object.entries(body)) {
    if (topLevel && META_ARGUMENTS.has(key)) continue;
    const here = `${path}.${key}`;
    const attribute = attributes[key];
    if (attribute) {
      if (attribute.computed && !attribute.optional && !attribute.required) report(here, 'read-only attribute is set');
      else if (attribute.nested_type) checkNested(value, attribute.nested_type, here, report);
      else if (attribute.type !== undefined) checkType(value, attribute.type, here, report);
    } else if (blockTypes[key]) {
      checkNestedBlocks(value, blockTypes[key], here, report);
    } else if (key === 'dynamic' && isObject(value)) {
      for (const [blockName, spec] of Object.entries(value)) {
        const blockType = blockTypes[blockName];
        if (!blockType) report(`${path}.dynamic.${blockName}`, 'unknown block');
        else if (isObject(spec) && isObject(spec.content)) checkBlock(spec.content, blockType.block, `${path}.dynamic.${blockName}`, report);
      }
    } else {
      report(here, 'unknown attribute');
    }
  }
  for (const [key, attribute] of Object.entries(attributes)) {
    if (attribute.required && body[key] === undefined) report(`${path}.${key}`, 'missing required attribute');
  }
  const dynamicBlocks = isObject(body.dynamic) ? body.dynamic : {};
  for (const [key, blockType] of Object.entries(blockTypes)) {
    if ((blockType.min_items ?? 0) > 0 && body[key] === undefined && dynamicBlocks[key] === undefined) {
      report(`${path}.${key}`, `missing required block (at least ${blockType.min_items})`);
    }
  }
}

function checkNestedBlocks(
  value: unknown,
  blockType: { nesting_mode: string; block: SchemaBlock; min_items?: number; max_items?: number },
  path: string,
  report: Report,
): void {
  if (isExpression(value)) return;
  const items = Array.isArray(value) ? value : [value];
  const single = blockType.nesting_mode === 'single' || blockType.nesting_mode === 'group';
  const max = single ? 1 : blockType.max_items;
  if (max !== undefined && max > 0 && items.length > max) report(path, `${items.length} blocks given; at most ${max} allowed`);
  if (blockType.min_items && items.length < blockType.min_items) report(path, `${items.length} blocks given; at least ${blockType.min_items} required`);
  items.forEach((item, i) => {
    const here = items.length > 1 ? `${path}[${i}]` : path;
    if (isExpression(item)) return;
    if (!isObject(item)) report(here, `expected a block, got ${describeValue(item)}`);
    else checkBlock(item, blockType.block, here, report);
  });
}

function checkNested(value: unknown, nested: NonNullable<SchemaAttribute['nested_type']>, path: string, report: Report): void {
  if (value === null || isExpression(value)) return;
  const block: SchemaBlock = { attributes: nested.attributes };
  if (nested.nesting_mode === 'single') {
    if (!isObject(value)) report(path, `expected an object, got ${describeValue(value)}`);
    else checkBlock(value, block, path, report);
    return;
  }
  const items = nested.nesting_mode === 'map' && isObject(value) ? Object.values(value) : value;
  if (!Array.isArray(items)) return report(path, `expected a ${nested.nesting_mode}, got ${describeValue(value)}`);
  items.forEach((item, i) => (isObject(item) ? checkBlock(item, block, `${path}[${i}]`, report) : isExpression(item) || report(`${path}[${i}]`, `expected an object, got ${describeValue(item)}`)));
}

/** Checks a value against a cty type in its JSON form ("string", ["list","string"], ["object",{...}]). */
function checkType(value: unknown, type: CtyType, path: string, report: Report): void {
  if (value === null || value === undefined || isExpression(value)) return;
  if (typeof type === 'string') {
    const ok =
      type === 'dynamic' ||
      (type === 'string' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')) ||
      (type === 'number' && (typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))))) ||
      (type === 'bool' && (typeof value === 'boolean' || value === 'true' || value === 'false'));
    if (!ok) report(path, `expected ${type}, got ${describeValue(value)}`);
    return;
  }
  const [kind, inner] = type;
  if (kind === 'list' || kind === 'set') {
    if (!Array.isArray(value)) return report(path, `expected ${kind}, got ${describeValue(value)}`);
    value.forEach((item, i) => checkType(item, inner as CtyType, `${path}[${i}]`, report));
  } else if (kind === 'map') {
    if (!isObject(value)) return report(path, `expected map, got ${describeValue(value)}`);
    for (const [key, item] of Object.entries(value)) checkType(item, inner as CtyType, `${path}.${key}`, report);
  } else if (kind === 'object') {
    if (!isObject(value)) return report(path, `expected object, got ${describeValue(value)}`);
    const fields = inner as Record<string, CtyType>;
    for (const [key, item] of Object.entries(value)) {
      if (!(key in fields)) report(`${path}.${key}`, 'unknown attribute');
      else checkType(item, fields[key], `${path}.${key}`, report);
    }
  } else if (kind === 'tuple') {
    if (!Array.isArray(value)) return report(path, `expected tuple, got ${describeValue(value)}`);
    (inner as CtyType[]).forEach((itemType, i) => checkType(value[i], itemType, `${path}[${i}]`, report));
  }
}

/** A Terraform expression (`${...}`) is only known at plan time; its type cannot be checked here. */
function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (isObject(value)) return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}
