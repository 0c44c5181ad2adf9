// What a change does to the synthesized Terraform, stack by stack, before anyone runs a plan with
// credentials: resources added, removed, moved and changed (attribute by attribute), and DANGER for
// every change that would destroy or replace stored data.
import type { SynthesizedStack } from '../synth-output';
import { STATEFUL_TYPES } from './stateful-types';

export { STATEFUL_TYPES };

/** Attributes whose change makes Terraform replace the resource (destroy, then create). */
export const REPLACING_ATTRIBUTES: Record<string, string[]> = {
  aws_db_instance: ['engine', 'identifier', 'db_name', 'username', 'storage_encrypted', 'kms_key_id', 'availability_zone', 'replicate_source_db'],
  aws_s3_bucket: ['bucket', 'bucket_prefix'],
  aws_ecr_repository: ['name'],
  aws_cloudwatch_log_group: ['name', 'name_prefix'],
  aws_secretsmanager_secret: ['name', 'name_prefix'],
  aws_vpc: ['cidr_block'],
  aws_subnet: ['cidr_block', 'availability_zone', 'vpc_id'],
  aws_db_subnet_group: ['name'],
  aws_elasticache_replication_group: ['replication_group_id', 'at_rest_encryption_enabled', 'kms_key_id', 'port', 'subnet_group_name', 'snapshot_arns', 'snapshot_name'],
  aws_ssm_parameter: ['name'],
};

export interface AttributeChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface ResourceChange {
  readonly address: string;
  readonly action: 'add' | 'remove' | 'change' | 'move';
  /** For `move`: where it was. */
  readonly from?: string;
  readonly changes?: AttributeChange[];
  /** Why this change destroys or replaces stored data, when it does. */
  readonly danger?: string;
}

export interface StackReview {
  readonly stack: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly resources: ResourceChange[];
}

export interface Review {
  readonly stacks: StackReview[];
  readonly dangers: Array<{ stack: string; address: string; reason: string }>;
}

type Json = Record<string, unknown>;

export function reviewStacks(base: SynthesizedStack[], head: SynthesizedStack[]): Review {
  const baseByName = new Map(base.map((s) => [s.name, s]));
  const headByName = new Map(head.map((s) => [s.name, s]));
  const names = [...new Set([...baseByName.keys(), ...headByName.keys()])].sort();
  const stacks: StackReview[] = [];
  for (const name of names) {
    const before = baseByName.get(name);
    const after = headByName.get(name);
    const resources = diffResources(before?.json ?? {}, after?.json ?? {});
    if (resources.length === 0) continue;
    stacks.push({ stack: name, status: !before ? 'added' : !after ? 'removed' : 'changed', resources });
  }
  const dangers = stacks.flatMap((s) => s.resources.filter((r) => r.danger).map((r) => ({ stack: s.stack, address: r.address, reason: r.danger! })));
  return { stacks, dangers };
}

function diffResources(before: Json, after: Json): ResourceChange[] {
  const old = resourcesOf(before);
  const now = resourcesOf(after);
  const moves = new Map<string, string>(); // to → from, from `moved` blocks in the new JSON
  for (const block of (after.moved as Array<{ from: string; to: string }> | undefined) ?? []) moves.set(block.to, block.from);
  const movedFrom = new Set(moves.values());

  const changes: ResourceChange[] = [];
  for (const [address, body] of now) {
    const from = moves.get(address);
    const previous = old.get(address) ?? (from ? old.get(from) : undefined);
    if (!previous) {
      changes.push({ address, action: 'add' });
      continue;
    }
    const attributeChanges = diffValues(strip(previous), strip(body), '');
    const danger = replacementDanger(address, attributeChanges);
    if (from && !old.has(address)) changes.push({ address, action: 'move', from, changes: attributeChanges, danger });
    else if (attributeChanges.length > 0) changes.push({ address, action: 'change', changes: attributeChanges, danger });
  }
  for (const address of old.keys()) {
    if (now.has(address) || movedFrom.has(address)) continue;
    const type = address.split('.')[0];
    changes.push({
      address,
      action: 'remove',
      danger: STATEFUL_TYPES.has(type) ? `${type} would be destroyed (renamed or removed without a move)` : undefined,
    });
  }
  return changes.sort((a, b) => a.address.localeCompare(b.address));
}

function replacementDanger(address: string, changes: AttributeChange[]): string | undefined {
  const type = address.split('.')[0];
  const forcing = REPLACING_ATTRIBUTES[type] ?? [];
  const hit = changes.filter((c) => forcing.includes(c.path.split(/[.[]/)[0]));
  if (hit.length === 0) return undefined;
  return `changing ${hit.map((c) => c.path).join(', ')} replaces the ${type}${STATEFUL_TYPES.has(type) ? ' and its data' : ' and everything in it'}`;
}

/** `type.name` → body, for every resource of a stack. */
function resourcesOf(stack: Json): Map<string, Json> {
  const result = new Map<string, Json>();
  for (const [type, instances] of Object.entries((stack.resource ?? {}) as Record<string, Record<string, Json>>)) {
    for (const [name, body] of Object.entries(instances)) result.set(`${type}.${name}`, body);
  }
  return result;
}

/** Drops cdktf's metadata, which is not Terraform configuration. */
function strip(body: Json): Json {
  const { '//': _metadata, ...rest } = body;
  return rest;
}

function diffValues(before: unknown, after: unknown, path: string): AttributeChange[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) => diffValues(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => diffValues(item, after[i], `${path}[${i}]`));
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ path, before, after }];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const show = (value: unknown) => (value === undefined ? '(unset)' : JSON.stringify(value));

/** Plain text for the terminal. */
export function formatText(review: Review): string {
  if (review.stacks.length === 0) return 'No changes to the synthesized Terraform.\n';
  const lines: string[] = [];
  for (const stack of review.stacks) {
    lines.push(`${stack.stack} (${stack.status})`);
    for (const r of stack.resources) {
      const mark = { add: '+', remove: '-', change: '~', move: '>' }[r.action];
      lines.push(`  ${mark} ${r.address}${r.from ? ` (moved from ${r.from})` : ''}${r.danger ? `  DANGER: ${r.danger}` : ''}`);
      for (const c of r.changes ?? []) lines.push(`      ${c.path}: ${show(c.before)} -> ${show(c.after)}`);
    }
  }
  lines.push('', summary(review));
  return `${lines.join('\n')}\n`;
}

/** Markdown for a pull-request comment. */
export function formatMarkdown(review: Review): string {
  const lines = ['## Infrastructure review', '', summary(review), ''];
  if (review.dangers.length > 0) {
    lines.push('### ⚠️ DANGER: stored data would be destroyed or replaced', '');
    for (const d of review.dangers) lines.push(`- \`${d.stack}\` \`${d.address}\`: ${d.reason}`);
    lines.push('');
  }
  for (const stack of review.stacks) {
    lines.push(`### \`${stack.stack}\` (${stack.status})`, '', '| | resource | detail |', '| --- | --- | --- |');
    for (const r of stack.resources) {
      const detail = [
        r.from ? `moved from \`${r.from}\`` : '',
        ...(r.changes ?? []).map((c) => `\`${c.path}\`: \`${show(c.before)}\` → \`${show(c.after)}\``),
        r.danger ? `**DANGER**: ${r.danger}` : '',
      ]
        .filter(Boolean)
        .join('<br>')
        .replace(/\|/g, '\\|');
      lines.push(`| ${{ add: '➕', remove: '➖', change: '✏️', move: '➡️' }[r.action]} | \`${r.address}\` | ${detail} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

function summary(review: Review): string {
  const count = (action: ResourceChange['action']) => review.stacks.reduce((n, s) => n + s.resources.filter((r) => r.action === action).length, 0);
  return `${review.stacks.length} stack(s) changed: ${count('add')} to add, ${count('change')} to change, ${count('move')} to move, ${count('remove')} to remove; ${review.dangers.length} DANGER.`;
}
