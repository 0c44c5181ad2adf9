// Reading `terraform show -json <saved plan>` output: the documented JSON output format
// (https://developer.hashicorp.com/terraform/internals/json-format), only the parts the review uses.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/** A change object (`change` of a resource change, or an entry of `output_changes`). */
export interface TerraformChange {
  readonly actions: string[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  /** Attribute paths (lists of keys and indexes) that force a replacement. */
  readonly replace_paths?: Array<Array<string | number>>;
  /** Present when the resource is being imported (`import` block). */
  readonly importing?: { readonly id?: string };
}

export interface TerraformResourceChange {
  readonly address: string;
  /** Set when a `moved` block (or cdktf move) changed the address. */
  readonly previous_address?: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** Set for a deposed object (left over by create_before_destroy). */
  readonly deposed?: string;
  readonly change: TerraformChange;
  readonly action_reason?: string;
}

export interface TerraformPlan {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: TerraformResourceChange[];
  readonly output_changes?: Record<string, TerraformChange>;
  readonly errored?: boolean;
}

/** Input that is not a readable plan JSON: the caller exits 2 with this message. */
export class PlanInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanInputError';
  }
}

const HOW = 'expected the output of `terraform show -json <saved plan>`';

/** Parses and checks one plan JSON; `source` names it in errors. */
export function parsePlanJson(text: string, source: string): TerraformPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new PlanInputError(`${source}: not JSON (a binary saved plan? ${HOW})`);
  }
  const plan = value as Partial<TerraformPlan> & { planned_values?: unknown; values?: unknown };
  if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof plan.format_version !== 'string') {
    throw new PlanInputError(`${source}: not Terraform JSON output (no format_version; ${HOW})`);
  }
  if (!('planned_values' in plan) && !('resource_changes' in plan) && !('output_changes' in plan)) {
    const what = 'values' in plan ? 'a state, not a plan' : 'not a plan';
    throw new PlanInputError(`${source}: ${what} (${HOW})`);
  }
  const major = plan.format_version.split('.')[0];
  if (major !== '1') throw new PlanInputError(`${source}: unsupported format_version ${plan.format_version} (this review reads 1.x)`);
  if (plan.resource_changes !== undefined && !Array.isArray(plan.resource_changes)) {
    throw new PlanInputError(`${source}: resource_changes is not a list (${HOW})`);
  }
  return plan as TerraformPlan;
}

/** The component order of this project's stacks; other names sort after, alphabetically. */
const ORDER = ['bootstrap', 'network', 'data', 'app'];
function rank(stack: string): number {
  const i = ORDER.indexOf(stack.split('-').at(-1) ?? '');
  return i < 0 ? ORDER.length : i;
}

/** The stack a plan JSON file belongs to, from its name: `dev-app.json` → `dev-app`. */
export function stackOfFile(file: string): string {
  return basename(file).replace(/(\.tfplan)?\.json$/, '');
}

/** Plan JSONs of a file or a directory (every `*.json` except the plan set's metadata), in stack order. */
export function readPlanJsons(path: string): Array<{ stack: string; file: string; plan: TerraformPlan }> {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.json') && f !== 'metadata.json')
          .map((f) => join(path, f))
      : [path];
  } catch {
    throw new PlanInputError(`${path}: no such file or directory`);
  }
  if (files.length === 0) throw new PlanInputError(`${path}: no plan JSON files (*.json) in this directory`);
  return files
    .map((file) => ({ stack: stackOfFile(file), file, plan: parsePlanJson(readFileSync(file, 'utf8'), file) }))
    .sort((a, b) => rank(a.stack) - rank(b.stack) || a.stack.localeCompare(b.stack));
}
