// A small evaluator of IAM policy statements, the way IAM reads them, so tests can ask "is this token
// accepted?" / "may this role do X on Y?" of the synthesized JSON instead of comparing strings.
// Semantics (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// - StringLike: `*` any run of characters INCLUDING "/" and ":", `?` exactly one character; case-sensitive.
// - Several values of one key are OR'ed; several keys (and several operators) are AND'ed.
// - A key absent from the request: false for positive operators, true for negated ones (StringNotEquals…)
//   and for `…IfExists`; ForAnyValue false, ForAllValues true.
// - Action names match case-insensitively; ARNs component by component (`*` stays within a component,
//   except in the last, resource, component, which may itself contain ":").
// - An explicit Deny wins over any Allow; nothing allowed = implicit deny.
// Only the operators this project writes are known; any other throws, so a test never passes by accident.

/** A statement as IAM reads it (Action or NotAction; Resource or NotResource). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: Record<string, string | string[]> | '*';
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** The request context: condition keys and their values (a list for multivalued keys). */
export type RequestContext = Record<string, string | string[]>;

export interface Request {
  /** `service:Action`. */
  readonly action: string;
  /** The resource ARN. @default "*" (actions without resource-level permissions) */
  readonly resource?: string;
  /** Condition keys present in the request. @default {} */
  readonly context?: RequestContext;
}

export type Decision = 'allow' | 'deny' | 'implicit-deny';

/** `*` and `?` wildcards, nothing else special; the whole value must match. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/**
 * ARN matching: `*` alone matches anything; else the six components are compared one by one. A value
 * that is not ARN-shaped (e.g. a Terraform reference `${aws_s3_bucket.x.arn}/dev/*` before apply) is
 * compared as one wildcard string.
 */
export function arnMatch(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  if (pattern.split(':').length < 6 || arn.split(':').length < 6) return wildcardMatch(pattern, arn);
  const split = (s: string) => {
    const parts = s.split(':');
    return parts.length < 6 ? parts : [...parts.slice(0, 5), parts.slice(5).join(':')];
  };
  const p = split(pattern);
  const a = split(arn);
  return p.length === 6 && a.length === 6 && p.every((part, i) => wildcardMatch(part, a[i]));
}

const list = (v: string | string[] | boolean | undefined): string[] => (v === undefined ? [] : [v].flat().map(String));

type Matcher = (policyValue: string, requestValue: string) => boolean;
const MATCHERS: Record<string, { match: Matcher; negated: boolean }> = {
  StringEquals: { match: (p, r) => p === r, negated: false },
  StringNotEquals: { match: (p, r) => p === r, negated: true },
  StringLike: { match: (p, r) => wildcardMatch(p, r), negated: false },
  StringNotLike: { match: (p, r) => wildcardMatch(p, r), negated: true },
  ArnEquals: { match: arnMatch, negated: false },
  ArnLike: { match: arnMatch, negated: false },
  ArnNotEquals: { match: arnMatch, negated: true },
  ArnNotLike: { match: arnMatch, negated: true },
  Bool: { match: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
};

/** Whether every condition of a statement holds for the request context. */
export function conditionsHold(condition: PolicyStatement['Condition'], context: RequestContext = {}): boolean {
  const lowerContext = new Map(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(condition ?? {}).every(([operatorName, keys]) => {
    const qualifier = /^(ForAnyValue|ForAllValues):/.exec(operatorName)?.[1];
    const bare = operatorName.replace(/^(ForAnyValue|ForAllValues):/, '');
    const ifExists = bare.endsWith('IfExists');
    const operator = MATCHERS[bare.replace(/IfExists$/, '')];
    if (!operator) throw new Error(`iam-conditions: operator ${operatorName} is not supported`);
    return Object.entries(keys).every(([key, policyValue]) => {
      const values = list(policyValue);
      const present = lowerContext.get(key.toLowerCase());
      if (present === undefined) {
        if (qualifier === 'ForAllValues') return true;
        if (qualifier === 'ForAnyValue') return false;
        return ifExists || operator.negated;
      }
      const anyMatches = (requestValue: string) => values.some((v) => operator.match(v, requestValue));
      if (qualifier) {
        const requestValues = list(present);
        // Negated operators with a set qualifier: "not (matches any)" per request value.
        const hit = (r: string) => (operator.negated ? !anyMatches(r) : anyMatches(r));
        return qualifier === 'ForAnyValue' ? requestValues.some(hit) : requestValues.every(hit);
      }
      if (Array.isArray(present)) throw new Error(`iam-conditions: ${key} is multivalued; use ForAnyValue/ForAllValues`);
      return operator.negated ? !anyMatches(present) : anyMatches(present);
    });
  });
}

function statementApplies(statement: PolicyStatement, request: Request): boolean {
  const resource = request.resource ?? '*';
  const actionHit = (patterns: string[]) => patterns.some((p) => wildcardMatch(p, request.action, true));
  const resourceHit = (patterns: string[]) => patterns.some((p) => arnMatch(p, resource));
  const action = statement.Action !== undefined ? actionHit(list(statement.Action)) : !actionHit(list(statement.NotAction));
  if (!action) return false;
  // Trust policies have neither Resource nor NotResource: the role itself is the resource.
  if (statement.Resource !== undefined && !resourceHit(list(statement.Resource))) return false;
  if (statement.NotResource !== undefined && resourceHit(list(statement.NotResource))) return false;
  return conditionsHold(statement.Condition, request.context);
}

/** IAM's decision for one request against a set of statements (one policy, or several concatenated). */
export function evaluate(statements: readonly PolicyStatement[], request: Request): Decision {
  const applying = statements.filter((s) => statementApplies(s, request));
  if (applying.some((s) => s.Effect === 'Deny')) return 'deny';
  return applying.some((s) => s.Effect === 'Allow') ? 'allow' : 'implicit-deny';
}

/** Whether a trust policy lets a web-identity token with these claims assume the role. */
export function trustAccepts(trust: readonly PolicyStatement[], providerArn: string, claims: RequestContext): boolean {
  const fromProvider = trust.filter((s) => s.Principal !== '*' && list(s.Principal?.Federated).includes(providerArn));
  return evaluate(fromProvider, { action: 'sts:AssumeRoleWithWebIdentity', context: claims }) === 'allow';
}
