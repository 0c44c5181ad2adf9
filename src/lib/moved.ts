// `moved` blocks for resources whose construct path changed: Terraform then renames the existing
// object in state instead of destroying and re-creating it.
import { TerraformStack, type TerraformResource } from 'cdktf';
import type { IConstruct } from 'constructs';
// cdktf's own logical-ID function (not re-exported at the package root): the old address must be
// spelled exactly as cdktf spelled it, hash suffix included.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { makeUniqueId } = require('cdktf/lib/private/unique') as { makeUniqueId: (components: string[]) => string };

/** The Terraform address cdktf gives a resource of `type` at `path` (construct IDs below the stack). */
export function terraformAddress(type: string, path: string[]): string {
  return `${type}.${makeUniqueId(path)}`;
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
