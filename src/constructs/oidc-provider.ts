// An IAM OpenID Connect identity provider that CI jobs exchange their tokens at (GitHub Actions,
// CircleCI). An account holds one provider per URL, so an environment either creates it or refers to
// the one another environment (or a person) created in the same account.
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { Construct } from 'constructs';
import { pipelineRoleNames } from './pipeline-identities';

export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
/** The audience `aws-actions/configure-aws-credentials` requests. */
export const GITHUB_OIDC_AUDIENCE = 'sts.amazonaws.com';

/** CircleCI issues per-organization tokens: the URL and the default audience both carry the organization id. */
export function circleciOidcUrl(organizationId: string): string {
  return `https://oidc.circleci.com/org/${organizationId}`;
}

/**
 * The `aud` each CircleCI job presents to one environment's roles. Plans use the default token
 * (`$CIRCLE_OIDC_TOKEN_V2`, audience = the organization id); apply and release jobs mint their own with
 * `circleci run oidc get --claims '{"aud":"<audience>"}'` (only `aud` is customisable:
 * https://circleci.com/docs/oidc-tokens-with-custom-claims/). The audience is the name of the role it is
 * for (`<prefix>-pipeline-apply|release`, the last part of the role ARN the job already holds), so a
 * token minted for one role — another kind, or another environment's — is refused by every other role.
 * STS accepts only audiences in the provider's client-id list.
 */
export function circleciAudiences(organizationId: string, prefix: string): { plan: string; apply: string; release: string } {
  const roles = pipelineRoleNames(prefix);
  return { plan: organizationId, apply: roles.apply, release: roles.release };
}

export interface OidcProviderProps {
  /** Issuer URL, `https://…`. */
  readonly url: string;
  /** The audiences (`aud`, the provider's client ids) its tokens may carry; every role also pins its own. */
  readonly audiences: string[];
  /** `create` the provider, or refer to the `existing` one of this URL in `accountId`. */
  readonly mode: 'create' | 'existing';
  /** The account the provider is in (a token of `aws_caller_identity`); builds the ARN of an existing one. */
  readonly accountId: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`): `partitionOf(region)` of src/config/regions.ts. */
  readonly partition: string;
}

export class OidcProvider extends Construct {
  /** The provider's ARN: the `Federated` principal of the roles that trust it. */
  readonly arn: string;
  /** The URL without `https://`: the prefix of the condition keys (`<host>:aud`, `<host>:sub`). */
  readonly host: string;

  constructor(scope: Construct, id: string, props: OidcProviderProps) {
    super(scope, id);
    this.host = props.url.replace(/^https:\/\//, '');
    if (props.mode === 'create') {
      // No thumbprint_list: AWS verifies these issuers' TLS certificates itself, and provider 6.x makes it optional.
      const provider = new IamOpenidConnectProvider(this, 'provider', { url: props.url, clientIdList: props.audiences });
      this.arn = provider.arn;
    } else {
      this.arn = `arn:${props.partition}:iam::${props.accountId}:oidc-provider/${this.host}`;
    }
  }
}
