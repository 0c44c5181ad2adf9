// What a set of saved Terraform plans will do, from `terraform show -json`: per stack the resources
// created, updated, deleted, replaced (with the paths forcing it), moved and imported, the outputs that
// change, and DANGER for every delete or replacement of stored data. Sensitive values are masked
// everywhere, unknown values show as "(known after apply)", and attributes that hold JSON in a string
// (container definitions, IAM policies) are diffed path by path.
import { isStateful } from './stateful-types';
import type { TerraformChange, TerraformPlan, TerraformResourceChange } from './terraform-plan';

export const SENSITIVE = '(sensitive)';
export const UNKNOWN = '(known after apply)';

export type PlanAction = 'create' | 'update' | 'delete' | 'replace' | 'move' | 'import' | 'forget';

export interface PlannedAttributeChange {
  readonly path: string;
  /** Absent: not set before. Masked (`(sensitive)`) or unknown (`(known after apply)`) as the strings. */
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface PlannedResourceChange {
  readonly address: string;
  readonly type: string;
  readonly action: PlanAction;
  /** Terraform's actions, as in the plan (`["delete","create"]`, …). */
  readonly actions: string[];
  readonly previousAddress?: string;
  readonly importId?: string;
  /** Terraform's `action_reason`, e.g. `replace_because_tainted`. */
  readonly reason?: string;
  /** Attribute paths that force the replacement. */
  readonly replacePaths: string[];
  readonly changes: PlannedAttributeChange[];
  readonly danger?: string;
}

export interface PlannedOutputChange {
  readonly name: string;
  readonly action: 'create' | 'update' | 'delete';
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface Counts {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
  readonly replace: number;
  readonly move: number;
  readonly import: number;
  readonly forget: number;
}

export interface StackPlanReview {
  readonly stack: string;
  readonly resources: PlannedResourceChange[];
  readonly outputs: PlannedOutputChange[];
  readonly counts: Counts;
}

export interface PlanReview {
  readonly stacks: StackPlanReview[];
  readonly dangers: Array<{ stack: string; address: string; reason: string }>;
}

const REASONS: Record<string, string> = {
  replace_because_tainted: 'the object is tainted',
  replace_because_cannot_update: 'an attribute cannot be updated in place',
  replace_by_request: 'replacement requested (-replace)',
  replace_by_triggers: 'replace_triggered_by',
  delete_because_no_resource_config: 'no longer in the configuration',
  delete_because_no_module: 'its module is no longer in the configuration',
  delete_because_wrong_repetition: 'count / for_each changed',
  delete_because_count_index: 'its count index is out of range',
  delete_because_each_key: 'its for_each key is gone',
  delete_because_no_move_target: 'the target of its move does not exist',
};

/** Terraform's `action_reason` in words. */
export function describeReason(reason: string): string {
  return REASONS[reason] ?? reason;
}

export function reviewPlans(plans: Array<{ stack: string; plan: TerraformPlan }>): PlanReview {
  const stacks = plans.map(({ stack, plan }) => reviewPlan(stack, plan));
  const dangers = stacks.flatMap((s) => s.resources.filter((r) => r.danger).map((r) => ({ stack: s.stack, address: r.address, reason: r.danger! })));
  return { stacks, dangers };
}

export function reviewPlan(stack: string, plan: TerraformPlan): StackPlanReview {
  const resources = (plan.resource_changes ?? []).flatMap((rc) => {
    const change = reviewResource(rc);
    return change ? [change] : [];
  });
  const outputs = Object.entries(plan.output_changes ?? {}).flatMap(([name, change]) => {
    const action = primary(change.actions);
    if (action !== 'create' && action !== 'update' && action !== 'delete') return [];
    return [{ name, action, ...(action === 'create' ? {} : { before: masked(change.before, undefined, change.before_sensitive) }), ...(action === 'delete' ? {} : { after: masked(change.after, change.after_unknown, change.after_sensitive) }) }];
  });
  const count = (action: PlanAction) => resources.filter((r) => r.action === action).length;
  return {
    stack,
    resources,
    outputs,
    counts: {
      create: count('create'),
      update: count('update'),
      delete: count('delete'),
      replace: count('replace'),
      move: resources.filter((r) => r.previousAddress).length,
      import: resources.filter((r) => r.importId !== undefined).length,
      forget: count('forget'),
    },
  };
}

/** The action of Terraform's action list, or undefined for no-op and read. */
function primary(actions: string[]): PlanAction | 'no-op' | 'read' {
  const key = actions.join(',');
  if (key === 'delete,create' || key === 'create,delete') return 'replace';
  if (key === 'create' || key === 'update' || key === 'delete' || key === 'forget') return key;
  if (key === 'read') return 'read';
  return 'no-op';
}

function reviewResource(rc: TerraformResourceChange): PlannedResourceChange | undefined {
  // Data sources are read, not changed.
  if (rc.mode === 'data') return undefined;
  const { change } = rc;
  let action = primary(change.actions);
  const importId = change.importing ? (change.importing.id ?? '') : undefined;
  if (action === 'read') return undefined;
  if (action === 'no-op') {
    if (rc.previous_address && rc.previous_address !== rc.address) action = 'move';
    else if (importId !== undefined) action = 'import';
    else return undefined;
  }
  const address = rc.deposed ? `${rc.address} (deposed ${rc.deposed})` : rc.address;
  const replacePaths = (change.replace_paths ?? []).map(formatPath);
  const changes = action === 'delete' || action === 'forget' ? [] : diffAttributes(change, action === 'create');
  return {
    address,
    type: rc.type,
    action,
    actions: change.actions,
    ...(rc.previous_address && rc.previous_address !== rc.address ? { previousAddress: rc.previous_address } : {}),
    ...(importId !== undefined ? { importId } : {}),
    ...(rc.action_reason ? { reason: rc.action_reason } : {}),
    replacePaths,
    changes,
    ...dangerOf(rc.type, action, replacePaths, rc.action_reason),
  };
}

function dangerOf(type: string, action: PlanAction, replacePaths: string[], reason?: string): { danger?: string } {
  if (!isStateful(type)) return {};
  const why = reason ? ` (${describeReason(reason)})` : '';
  if (action === 'delete') return { danger: `deletes the ${type} and what it stores${why}` };
  if (action === 'replace') {
    const forced = replacePaths.length > 0 ? `, forced by ${replacePaths.join(', ')}` : '';
    return { danger: `replaces the ${type}: the old one and what it stores are destroyed${forced}${why}` };
  }
  return {};
}

/** `["container_definitions", 0, "image"]` → `container_definitions[0].image`. */
export function formatPath(steps: Array<string | number>): string {
  return steps.reduce<string>((path, step) => join(path, step), '');
}

function join(path: string, step: string | number): string {
  if (typeof step === 'number') return `${path}[${step}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(step)) return path ? `${path}.${step}` : step;
  return `${path}[${JSON.stringify(step)}]`;
}

type Mask = unknown; // true, or a structure of the value's shape with `true` at sensitive/unknown leaves

const child = (mask: Mask, key: string | number): Mask => (mask !== null && typeof mask === 'object' ? (mask as Record<string, unknown>)[key as string] : undefined);
const isContainer = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** A value for display: sensitive parts masked, unknown parts shown as unknown. */
export function masked(value: unknown, unknown: Mask, sensitive: Mask): unknown {
  if (sensitive === true) return SENSITIVE;
  if (unknown === true) return UNKNOWN;
  if (Array.isArray(value)) return value.map((v, i) => masked(v, child(unknown, i), child(sensitive, i)));
  if (isContainer(value)) {
    // Unknown values are left out of `after`: their keys come from `after_unknown`.
    const unknownKeys = isContainer(unknown) && !Array.isArray(unknown) ? Object.keys(unknown).filter((k) => unknown[k] === true) : [];
    const keys = [...new Set([...Object.keys(value), ...unknownKeys])];
    return Object.fromEntries(keys.map((k) => [k, masked(value[k], child(unknown, k), child(sensitive, k))]));
  }
  if (Array.isArray(unknown) && value === undefined) return unknown.map((u, i) => masked(undefined, u, child(sensitive, i)));
  return value;
}

/** An attribute that holds JSON in a string, parsed; undefined when it is not one. */
function jsonInString(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!(text.startsWith('{') && text.endsWith('}')) && !(text.startsWith('[') && text.endsWith(']'))) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (isContainer(value)) return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stable(value[k])}`).join(',')}}`;
  return JSON.stringify(value ?? null);
}

const empty = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isContainer(v) && !Array.isArray(v) && Object.keys(v).length === 0);

/** Attribute-level changes of one resource, masked. Creates list what is set (unknowns left out). */
function diffAttributes(change: TerraformChange, isCreate: boolean): PlannedAttributeChange[] {
  const out: PlannedAttributeChange[] = [];
  const before = isCreate ? undefined : change.before;
  const walk = (path: string, b: unknown, a: unknown, unknown: Mask, bs: Mask, as: Mask) => {
    if (unknown === true) {
      if (!isCreate) out.push({ path, ...(empty(b) ? {} : { before: masked(b, undefined, bs) }), after: UNKNOWN });
      return;
    }
    if (bs === true || as === true) {
      if (stable(b) !== stable(a)) out.push({ path, ...(empty(b) ? {} : { before: masked(b, undefined, bs) }), after: masked(a, undefined, as) });
      return;
    }
    const pb = jsonInString(b);
    const pa = jsonInString(a);
    if ((pb !== undefined || pa !== undefined) && (pb !== undefined || empty(b)) && (pa !== undefined || empty(a))) {
      walk(path, pb, pa, undefined, undefined, undefined);
      return;
    }
    const bothObjects = (isContainer(b) || empty(b)) && (isContainer(a) || empty(a)) && !Array.isArray(b) && !Array.isArray(a) && (isContainer(a) || isContainer(b));
    if (bothObjects) {
      const keys = [...new Set([...Object.keys((b as object) ?? {}), ...Object.keys((a as object) ?? {}), ...(isContainer(unknown) && !Array.isArray(unknown) ? Object.keys(unknown) : [])])].sort();
      for (const key of keys) {
        if (isCreate && path === '' && key === 'tags_all') continue; // = tags + provider default tags
        walk(join(path, key), child(b, key), child(a, key), child(unknown, key), child(bs, key), child(as, key));
      }
      return;
    }
    if ((Array.isArray(b) || empty(b)) && (Array.isArray(a) || empty(a)) && (Array.isArray(a) || Array.isArray(b))) {
      const length = Math.max((b as unknown[] | undefined)?.length ?? 0, (a as unknown[] | undefined)?.length ?? 0, Array.isArray(unknown) ? unknown.length : 0);
      for (let i = 0; i < length; i++) walk(join(path, i), child(b, i), child(a, i), child(unknown, i), child(bs, i), child(as, i));
      return;
    }
    if (stable(b) === stable(a)) return;
    if (empty(b) && empty(a)) return;
    out.push({ path, ...(b === undefined || b === null ? {} : { before: masked(b, undefined, bs) }), ...(a === undefined || a === null ? {} : { after: masked(a, unknown, as) }) });
  };
  walk('', before, change.after, change.after_unknown, isCreate ? undefined : change.before_sensitive, change.after_sensitive);
  return out;
}

// ---- formats -----------------------------------------------------------------------------------

const MARK: Record<PlanAction, string> = { create: '+', update: '~', delete: '-', replace: '±', move: '>', import: '<=', forget: '/' };

/** `+n ~n -n ±n`, and moves / imports / forgets when there are any. */
export function countsLine(counts: Counts): string {
  const extra = [
    counts.move ? `${counts.move} moved` : '',
    counts.import ? `${counts.import} imported` : '',
    counts.forget ? `${counts.forget} removed from state only` : '',
  ].filter(Boolean);
  return `+${counts.create} ~${counts.update} -${counts.delete} ±${counts.replace}${extra.length ? ` (${extra.join(', ')})` : ''}`;
}

function total(review: PlanReview): Counts {
  const sum = (key: keyof Counts) => review.stacks.reduce((n, s) => n + s.counts[key], 0);
  return { create: sum('create'), update: sum('update'), delete: sum('delete'), replace: sum('replace'), move: sum('move'), import: sum('import'), forget: sum('forget') };
}

const hasChanges = (s: StackPlanReview) => s.resources.length > 0 || s.outputs.length > 0;

/** Output names for a summary line: the first few, then how many more (the details list them all). */
function outputNames(s: StackPlanReview, quote = (n: string) => n): string {
  const names = s.outputs.map((o) => quote(o.name));
  return names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
}

function show(value: unknown): string {
  if (value === SENSITIVE || value === UNKNOWN) return value as string;
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}

function resourceLines(r: PlannedResourceChange): string[] {
  const notes = [
    r.previousAddress ? `moved from ${r.previousAddress}` : '',
    r.importId !== undefined ? `import id ${JSON.stringify(r.importId)}` : '',
    r.action === 'forget' ? 'removed from state, not destroyed' : '',
    r.replacePaths.length ? `forced by ${r.replacePaths.join(', ')}` : '',
    r.reason ? describeReason(r.reason) : '',
  ].filter(Boolean);
  const lines = [`${MARK[r.action]} ${r.address}${notes.length ? ` (${notes.join('; ')})` : ''}${r.danger ? `  DANGER: ${r.danger}` : ''}`];
  for (const c of r.changes) {
    if (!('before' in c)) lines.push(r.action === 'create' ? `    ${c.path}: ${show(c.after)}` : `    ${c.path}: (unset) -> ${show(c.after)}`);
    else if (!('after' in c)) lines.push(`    ${c.path}: ${show(c.before)} -> (removed)`);
    else lines.push(`    ${c.path}: ${show(c.before)} -> ${show(c.after)}`);
  }
  return lines;
}

function outputLines(o: PlannedOutputChange): string[] {
  const mark = { create: '+', update: '~', delete: '-' }[o.action];
  if (o.action === 'create') return [`${mark} output ${o.name}: ${show(o.after)}`];
  if (o.action === 'delete') return [`${mark} output ${o.name}`];
  return [`${mark} output ${o.name}: ${show(o.before)} -> ${show(o.after)}`];
}

function stackLines(s: StackPlanReview): string[] {
  return [...s.resources.flatMap(resourceLines), ...s.outputs.flatMap(outputLines)];
}

/** One line for the whole set. */
export function verdict(review: PlanReview): string {
  const changed = review.stacks.filter(hasChanges);
  if (changed.length === 0) return `No changes in ${review.stacks.length} stack(s): the infrastructure matches the configuration.`;
  return `${changed.length} of ${review.stacks.length} stack(s) change: ${countsLine(total(review))}; ${review.dangers.length} DANGER.`;
}

/** Plain text for the terminal. */
export function formatPlanText(review: PlanReview): string {
  const lines: string[] = [];
  for (const d of review.dangers) lines.push(`DANGER ${d.stack} ${d.address}: ${d.reason}`);
  if (review.dangers.length) lines.push('');
  for (const s of review.stacks) {
    if (!hasChanges(s)) {
      lines.push(`${s.stack}: no changes`);
      continue;
    }
    lines.push(`${s.stack}: ${countsLine(s.counts)}${s.outputs.length ? `; outputs change: ${outputNames(s)}` : ''}`);
    for (const line of stackLines(s)) lines.push(`  ${line}`);
  }
  lines.push('', verdict(review));
  return `${lines.join('\n')}\n`;
}

/** GitHub's limit for a comment body is 65,536 characters. */
const MARKDOWN_LIMIT = 60_000;

/** Markdown for a pull-request comment: summary per stack, DANGER first, details collapsed. */
export function formatPlanMarkdown(review: PlanReview, title = 'Terraform plan review'): string {
  const head = [`## ${title}`, '', `**${verdict(review)}**`, ''];
  if (review.dangers.length > 0) {
    head.push('### ⚠️ DANGER: stored data would be destroyed or replaced', '');
    for (const d of review.dangers) head.push(`- \`${d.stack}\` \`${d.address}\`: ${d.reason}`);
    head.push('');
  }
  head.push('| stack | changes | outputs |', '| --- | --- | --- |');
  for (const s of review.stacks) {
    head.push(`| \`${s.stack}\` | ${hasChanges(s) ? `\`${countsLine(s.counts)}\`` : 'no changes'} | ${outputNames(s, (n) => `\`${n}\``)} |`);
  }
  head.push('');
  let body = `${head.join('\n')}\n`;
  for (const s of review.stacks.filter(hasChanges)) {
    const details = ['<details>', `<summary><code>${s.stack}</code>: ${countsLine(s.counts)}</summary>`, '', '```diff', ...stackLines(s).map((l) => l.replace(/```/g, "'''")), '```', '', '</details>', ''].join('\n');
    if (body.length + details.length > MARKDOWN_LIMIT) {
      body += `\n_Details of \`${s.stack}\` and later stacks left out (comment size limit): see the full report in the pipeline's artifacts._\n`;
      break;
    }
    body += `${details}\n`;
  }
  return body;
}

/** The JSON report: the same review, already masked. */
export function formatPlanJson(review: PlanReview, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ summary: verdict(review), total: total(review), ...extra, ...review }, null, 2)}\n`;
}
