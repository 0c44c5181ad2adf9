// `moved` blocks for resources whose construct path changed: Terraform then renames the existing
// object in state instead of destroying and re-creating it.
import { TerraformElement, TerraformStack, Testing, type App, type TerraformResource } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';

// The old address must be spelled exactly as cdktf spells it, hash suffix included. cdktf exports no
// function for that, so the address is read from a throwaway element at the old path, in a scratch
// app (Testing.app writes nothing but an empty temporary directory) — public API only, so a move to
// the cdktn fork keeps working.
let scratch: App | undefined;
let scratchStacks = 0;

/** The Terraform address cdktf gives a resource of `type` at `path` (construct IDs below the stack). */
export function terraformAddress(type: string, path: string[]): string {
  scratch ??= Testing.app();
  let scope: Construct = new TerraformStack(scratch, `scratch-${++scratchStacks}`);
  for (const id of path.slice(0, -1)) scope = new Construct(scope, id);
  return `${type}.${new TerraformElement(scope, path[path.length - 1]).friendlyUniqueId}`;
}

/**
 * Adds `moved { from = <old address>, to = <resource> }`. `oldPath` is the construct path below the
 * stack where the resource used to be (e.g. `['service-api', 'alb-egress']`).
 */
export function movedFrom(resource: TerraformResource, oldPath: string[]): void {
  resource.moveFromId(terraformAddress(resource.terraformResourceType, oldPath));
}

/**
 * Adds `moved` from the address the resource had under the same parent with the construct ID
 * `oldId` (e.g. a list-position ID such as `email-0` that is now keyed by content).
 */
export function movedFromSibling(resource: TerraformResource, oldId: string): void {
  const stack = TerraformStack.of(resource);
  const parents = resource.node.scopes.slice(stack.node.scopes.length, -1).map((scope) => scope.node.id);
  movedFrom(resource, [...parents, oldId]);
}

/** Construct IDs from below the stack down to `construct` (what `movedFrom` takes as an old path prefix). */
export function pathBelowStack(construct: IConstruct): string[] {
  const stack = TerraformStack.of(construct);
  return construct.node.scopes.slice(stack.node.scopes.length).map((scope) => scope.node.id);
}
