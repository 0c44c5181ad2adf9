// IAM's size limits on policy documents, checked at synth time: a role whose policies outgrow them
// fails only at apply (LimitExceeded), half-way through the bootstrap stack, after the plan was
// approved. IAM counts the characters of a document without its whitespace
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length).

/** All inline policies of one role together. */
export const ROLE_INLINE_POLICIES_MAX_CHARS = 10240;
/** One customer managed policy (a permissions boundary is one). */
export const MANAGED_POLICY_MAX_CHARS = 6144;
/** A role's trust policy (the default quota; it can be raised to 4,096). */
export const TRUST_POLICY_MAX_CHARS = 2048;

/**
 * What an unresolved token (`${TfToken[TOKEN.n]}`, a Terraform reference) counts for: an upper bound of
 * the ARNs and ids tokens stand for here (a GovCloud KMS key ARN is 86 characters, a CircleCI OIDC
 * provider ARN 96). Tokens whose real length is known are replaced by the caller first.
 */
export const TOKEN_CHARS = 128;

const TOKEN = /\$\{TfToken\[TOKEN\.\d+\]\}/g;

/** The length IAM gives `document`: whitespace dropped, each token counted as TOKEN_CHARS. */
export function policyLength(document: string, known: Record<string, string> = {}): number {
  let text = document;
  for (const [token, standIn] of Object.entries(known)) text = text.split(token).join(standIn);
  return text.replace(TOKEN, 'x'.repeat(TOKEN_CHARS)).replace(/\s/g, '').length;
}

/** A one-line problem when `document` (or several documents counted together) exceeds `max`. */
export function policySizeProblems(what: string, documents: string | string[], max: number, known: Record<string, string> = {}): string[] {
  const length = [documents].flat().reduce((sum, d) => sum + policyLength(d, known), 0);
  return length > max ? [`${what} is about ${length} characters; IAM allows ${max} (shorten it: scope by name prefixes, fewer statements)`] : [];
}
