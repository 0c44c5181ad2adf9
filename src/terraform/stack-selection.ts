// Which stacks of an environment a plan or apply covers, in dependency order.
import type { SynthesizedStack } from '../synth-output';

/** Bad command-line input: the caller prints it and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Deployed once by an administrator; never in the default set nor a dependency of the others. */
export const BOOTSTRAP = 'bootstrap';

const component = (env: string, stack: string) => stack.slice(env.length + 1);

/**
 * The stacks to run: the named ones (`dev-network` or just `network`), or every stack of `env` except
 * bootstrap; always in dependency order (a stack after the stacks it reads outputs from).
 */
export function selectStacks(stacks: Array<Pick<SynthesizedStack, 'name' | 'dependencies'>>, env: string, requested: string[]): string[] {
  const own = stacks.filter((s) => s.name.startsWith(`${env}-`));
  const names = own.map((s) => s.name);
  let chosen: Set<string>;
  if (requested.length === 0) {
    chosen = new Set(names.filter((n) => component(env, n) !== BOOTSTRAP));
  } else {
    chosen = new Set();
    for (const wanted of requested) {
      const name = names.includes(wanted) ? wanted : names.includes(`${env}-${wanted}`) ? `${env}-${wanted}` : undefined;
      if (!name) throw new UsageError(`unknown stack ${JSON.stringify(wanted)} for environment ${env} (${dependencyOrder(own).join(', ')})`);
      chosen.add(name);
    }
  }
  return dependencyOrder(own).filter((n) => chosen.has(n));
}

/** Every stack after its dependencies; bootstrap first, the rest by name when independent. */
export function dependencyOrder(stacks: Array<Pick<SynthesizedStack, 'name' | 'dependencies'>>): string[] {
  const byName = new Map(stacks.map((s) => [s.name, s]));
  const order: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (order.includes(name)) return;
    if (path.includes(name)) throw new Error(`stack dependency cycle: ${[...path, name].join(' → ')}`);
    for (const dep of byName.get(name)?.dependencies ?? []) if (byName.has(dep)) visit(dep, [...path, name]);
    order.push(name);
  };
  const sorted = [...stacks].sort((a, b) => Number(!a.name.endsWith(`-${BOOTSTRAP}`)) - Number(!b.name.endsWith(`-${BOOTSTRAP}`)) || a.name.localeCompare(b.name));
  for (const s of sorted) visit(s.name, []);
  return order;
}

/** Every stack that reads `stack`'s outputs, directly or through another stack. */
export function dependents(stacks: Array<Pick<SynthesizedStack, 'name' | 'dependencies'>>, stack: string): string[] {
  const result = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of stacks) {
      if (result.has(s.name)) continue;
      if (s.dependencies.some((d) => d === stack || result.has(d))) {
        result.add(s.name);
        grew = true;
      }
    }
  }
  return dependencyOrder(stacks).filter((n) => result.has(n));
}
