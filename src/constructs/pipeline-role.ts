// One IAM role a CI job assumes with its OIDC token (AssumeRoleWithWebIdentity): who may assume it is
// pinned to the token's audience and subject, and what it may do is exactly the policies given here
// (attachments are exclusive, so a policy attached by hand shows up as drift and is removed on apply).
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePoliciesExclusive } from '@cdktf/provider-aws/lib/iam-role-policies-exclusive';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { IamRolePolicyAttachmentsExclusive } from '@cdktf/provider-aws/lib/iam-role-policy-attachments-exclusive';
import { Construct } from 'constructs';
import { policyDocument, type Statement } from '../lib/iam';
import { PIPELINE_IAM_PATH } from '../naming';
import { policySizeProblems, ROLE_INLINE_POLICIES_MAX_CHARS, TRUST_POLICY_MAX_CHARS } from '../lib/policy-size';

/** One OIDC provider whose tokens may assume the role, and the subjects it accepts. */
export interface OidcTrust {
  /** ARN of the account's identity provider (the `Federated` principal). */
  readonly providerArn: string;
  /** Provider URL without `https://`: the prefix of its condition keys. */
  readonly host: string;
  /** The only `aud` accepted. */
  readonly audience: string;
  /**
   * Accepted `sub` values; each must start with a fixed prefix naming this repository or project.
   * With `pattern`, `*` matches ANY run of characters, "/" and ":" included: put it only where no
   * attacker-chosen text (a branch name) can supply the rest of the subject.
   */
  readonly subjects: string[];
  /** `exact` compares with StringEquals; `pattern` with StringLike (`*`, `?` inside a subject). */
  readonly match: 'exact' | 'pattern';
}

export interface PipelineRoleProps {
  /** Role name. */
  readonly name: string;
  /**
   * IAM path. Pipeline roles live under their own path so that a policy scoped to the environment's
   * name prefix (`role/<prefix>-*`, what the apply role may manage) can never match them.
   * @default "/pipeline/"
   */
  readonly path?: string;
  /** What the role is for (shown in the IAM console). */
  readonly description: string;
  /** Who may assume the role; at least one. */
  readonly trust: OidcTrust[];
  /** AWS managed policies to attach (ARNs; each policy name appears once). @default [] */
  readonly managedPolicyArns?: string[];
  /** The role's inline policy. */
  readonly statements: Statement[];
  /**
   * Longest session a job may request (`role-duration-seconds`), 3600–43200: as long as the longest
   * job needs, since credentials that expire mid-apply leave a stale state lock; no longer, since a
   * leaked session lasts that long.
   * @default 3600
   */
  readonly maxSessionSeconds?: number;
  /**
   * Tokens of known length in the policies, each with a stand-in of that length (e.g. the account id
   * token → 12 digits), for the synth-time size check; other tokens count as an upper bound.
   * @default {}
   */
  readonly tokenStandIns?: Record<string, string>;
}

export class PipelineRole extends Construct {
  readonly arn: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: PipelineRoleProps) {
    super(scope, id);
    if (props.trust.length === 0) throw new Error(`${this.node.path}: a pipeline role needs at least one trusted provider`);
    for (const trust of props.trust) {
      // A programming error, not user input: subjects come from validated config.
      const loose = trust.subjects.find((s) => s.length === 0 || s.startsWith('*'));
      if (trust.subjects.length === 0 || loose !== undefined) throw new Error(`${this.node.path}: subject ${JSON.stringify(loose)} is not pinned`);
    }
    const maxSession = props.maxSessionSeconds ?? 3600;
    if (!Number.isInteger(maxSession) || maxSession < 3600 || maxSession > 43200) throw new Error(`${this.node.path}: maxSessionSeconds ${maxSession} is outside IAM's 3600–43200`);
    const trustPolicy = policyDocument(...props.trust.map(trustStatement));
    const role = new IamRole(this, 'role', {
      name: props.name,
      path: props.path ?? PIPELINE_IAM_PATH,
      description: props.description,
      maxSessionDuration: maxSession,
      assumeRolePolicy: trustPolicy,
    });
    const managed = props.managedPolicyArns ?? [];
    // Keyed by the policy's name, not its position: reordering the list replaces nothing.
    for (const policyArn of managed) new IamRolePolicyAttachment(this, `managed-${policyArn.split('/').pop()}`, { role: role.name, policyArn });
    new IamRolePolicyAttachmentsExclusive(this, 'managed-exclusive', { roleName: role.name, policyArns: managed });
    const inlinePolicy = policyDocument(...props.statements);
    const inline = new IamRolePolicy(this, 'policy', { role: role.id, name: 'pipeline', policy: inlinePolicy });
    // Checked at synth (construct validation): past IAM's limits the bootstrap apply fails half-way.
    const standIns = props.tokenStandIns ?? {};
    this.node.addValidation({
      validate: () => [
        ...policySizeProblems(`role ${props.name}: its inline policy`, inlinePolicy, ROLE_INLINE_POLICIES_MAX_CHARS, standIns),
        ...policySizeProblems(`role ${props.name}: its trust policy`, trustPolicy, TRUST_POLICY_MAX_CHARS, standIns),
      ],
    });
    new IamRolePoliciesExclusive(this, 'inline-exclusive', { roleName: role.name, policyNames: [inline.name] });
    this.arn = role.arn;
    this.name = role.name;
  }
}

function trustStatement(trust: OidcTrust): Statement {
  const audience = { [`${trust.host}:aud`]: trust.audience };
  const subject = { [`${trust.host}:sub`]: trust.subjects };
  return {
    Effect: 'Allow',
    Principal: { Federated: trust.providerArn },
    Action: 'sts:AssumeRoleWithWebIdentity',
    Condition: trust.match === 'exact' ? { StringEquals: { ...audience, ...subject } } : { StringEquals: audience, StringLike: subject },
  };
}
