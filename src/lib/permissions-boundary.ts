// Every IAM role in a scope carries one permissions boundary: an Aspect, so a role added anywhere in a
// workload stack (a construct, a future helper) gets it without anyone remembering to pass it. The
// apply role may create roles only with this boundary (bootstrap stack), so a role without it would
// fail at apply; one with another boundary is refused here, at synth.
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';

export class PermissionsBoundary implements IAspect {
  /** @param policyArn ARN of the managed policy every role gets as its boundary. */
  constructor(readonly policyArn: string) {}

  visit(node: IConstruct): void {
    if (!(node instanceof IamRole)) return;
    // The input, not `permissionsBoundary` (that getter is a reference to the attribute).
    const current = node.permissionsBoundaryInput;
    if (current === undefined) node.permissionsBoundary = this.policyArn;
    else if (current !== this.policyArn) {
      throw new Error(`${node.node.path}: sets its own permissions boundary (${current}); roles here carry ${this.policyArn}`);
    }
  }
}
