// IAM policy documents as literal JSON, so a reviewer reads the exact policy in the synthesized output.
// Tokens (ARNs of other resources) inside render as Terraform interpolations.

/** A statement: Action or NotAction (exactly one); Resource or NotResource (neither in trust policies). */
export type Statement = StatementBase & ({ readonly Action: string | string[]; readonly NotAction?: never } | { readonly NotAction: string | string[]; readonly Action?: never });

interface StatementBase {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  /** Absent only in trust policies. */
  readonly Resource?: string | string[];
  /** Everything but these (a deny's "outside this"). */
  readonly NotResource?: string | string[];
  readonly Principal?: Record<string, string | string[]> | '*';
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export function policyDocument(...statements: Statement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * A trust policy letting one AWS service assume the role, limited to this account's resources
 * (`aws:SourceAccount`) and, given `sourceArn`, to matching resources (`aws:SourceArn`, ArnLike, e.g.
 * `arn:aws:ecs:<region>:<account>:*`): the confused-deputy conditions, where the service sets them.
 */
export function serviceTrustPolicy(service: string, accountId?: string, sourceArn?: string): string {
  const condition = {
    ...(accountId ? { StringEquals: { 'aws:SourceAccount': accountId } } : {}),
    ...(sourceArn ? { ArnLike: { 'aws:SourceArn': sourceArn } } : {}),
  };
  return policyDocument({
    Effect: 'Allow',
    Principal: { Service: service },
    Action: 'sts:AssumeRole',
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  });
}
