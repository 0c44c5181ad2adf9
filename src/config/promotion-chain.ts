// The promotion chain of a service: the environments that have it, in declaration order of
// src/config/environments.ts (dev → staging → prod). A release to one of them ships a digest the previous
// one released. One search for every shape the chain is read in: the validated configs (stacks), the
// parsed environments (cross-environment rules) and the raw inputs (release tool).

/** An environment as the chain sees it: its name and its services' names. */
export interface ChainEnvironment {
  readonly name: string;
  readonly services?: ReadonlyArray<{ readonly name: string }>;
}

const hasService = (service: string) => (env: ChainEnvironment) => (env.services ?? []).some((svc) => svc.name === service);

/** The environments of `ordered` (declaration order) that have `service`. */
export function chainOf<T extends ChainEnvironment>(ordered: readonly T[], service: string): T[] {
  return ordered.filter(hasService(service));
}

/** The nearest environment before `name` in `ordered` that has `service`; undefined at the start of its chain. */
export function previousInChain<T extends ChainEnvironment>(ordered: readonly T[], name: string, service: string): T | undefined {
  return ordered.slice(0, positionOf(ordered, name)).reverse().find(hasService(service));
}

/** The nearest environment after `name` in `ordered` that has `service`; undefined at the end of its chain. */
export function nextInChain<T extends ChainEnvironment>(ordered: readonly T[], name: string, service: string): T | undefined {
  return ordered.slice(positionOf(ordered, name) + 1).find(hasService(service));
}

function positionOf(ordered: readonly ChainEnvironment[], name: string): number {
  const position = ordered.findIndex((env) => env.name === name);
  if (position < 0) throw new Error(`${name}: not among the environments given for the promotion chain (${ordered.map((e) => e.name).join(', ')})`);
  return position;
}
