// Grants the way CDK writes them: the owner of a resource type says what "pull", "write" or "read"
// means for it (`grantPull`, `grantLogWrite`, `grantSecretsRead`), and a role collects them in one
// inline policy. Statements added after construction (e.g. `WebService.addToTaskRolePolicy`) land in
// the same policy: it renders when the stack synthesizes.
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Lazy } from 'cdktf';
import type { Construct } from 'constructs';
import { policyDocument, type Statement } from './iam';

/** Something permissions can be granted to: a role's inline policy. */
export interface Grantable {
  /** Adds statements to the role's policy. */
  addToPolicy(...statements: Statement[]): void;
}

export interface InlinePolicyProps {
  /** The role's name (or an expression resolving to it, so the policy waits for the role). */
  readonly role: string;
  /** The inline policy's name. */
  readonly name: string;
  /** First statements. @default [] */
  readonly statements?: Statement[];
}

/**
 * One inline policy of a role, built from grants (an `IamRolePolicy` with the given construct ID
 * under `scope`). IAM refuses an empty policy: give it at least one statement.
 */
export class InlinePolicy implements Grantable {
  readonly policy: IamRolePolicy;
  private readonly statements: Statement[];

  constructor(scope: Construct, id: string, props: InlinePolicyProps) {
    this.statements = [...(props.statements ?? [])];
    this.policy = new IamRolePolicy(scope, id, {
      role: props.role,
      name: props.name,
      policy: Lazy.stringValue({ produce: () => policyDocument(...this.statements) }),
    });
    // IAM refuses a policy without statements: say so at synth, not at apply.
    this.policy.node.addValidation({
      validate: () => (this.statements.length === 0 ? [`${this.policy.node.path}: inline policy ${props.name} has no statement (IAM refuses an empty policy)`] : []),
    });
  }

  addToPolicy(...statements: Statement[]): void {
    this.statements.push(...statements);
  }
}

/** Write to one CloudWatch Logs group (the awslogs driver, ECS Exec's audit). */
export function grantLogWrite(grantee: Grantable, logGroupArn: string, sid = 'WriteLogs'): void {
  grantee.addToPolicy({ Sid: sid, Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${logGroupArn}:*` });
}

/**
 * Read exactly these secrets when a task starts: Secrets Manager ARNs (a `:json-key:stage:version`
 * suffix allowed) and SSM parameters (ARN or `/name`).
 */
export function grantSecretsRead(
  grantee: Grantable,
  references: string[],
  options: { region: string; accountId: string; partition: string },
): void {
  const { partition } = options;
  const secretArns = unique(references.filter((ref) => ref.includes(':secretsmanager:')).flatMap(secretResourceArns));
  if (secretArns.length > 0) grantee.addToPolicy({ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArns });
  const parameterArns = unique(
    references
      .filter((ref) => !ref.startsWith('arn:') || ref.includes(':ssm:'))
      .map((ref) => (ref.startsWith('arn:') ? ref : `arn:${partition}:ssm:${options.region}:${options.accountId}:parameter${ref}`)),
  );
  if (parameterArns.length > 0) grantee.addToPolicy({ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: parameterArns });
}

/**
 * IAM resources of a secret reference, without its `:json-key:stage:version` part. A complete ARN
 * ends in AWS's random 6-character suffix; a partial one (name only) does not, and `-??????` matches
 * it. Both forms are listed since the two cannot be told apart by looking.
 */
export function secretResourceArns(reference: string): string[] {
  const arn = reference.split(':').slice(0, 7).join(':');
  return [arn, `${arn}-??????`];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
