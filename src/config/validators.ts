// Building blocks of the field schemas: value checks shared by several areas, and how a bad value is
// shown in an error (`<env>.<field>: "<value>" is not <what>`, formatted in load.ts).
import { z } from 'zod';
import { isNetworkAddress, parseCidr } from './cidr';

/** A value as an error message shows it: strings quoted, everything else as written. */
export const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** A string that must pass `test`; the error names the bad value. */
export const checked = (test: (value: string) => boolean, what: string) =>
  z.string().refine(test, { error: (issue) => `${show(issue.input)} is not ${what}`, abort: true });

/** An integer in [min, max]. */
export const int = (min: number, max: number) => z.number().int().min(min).max(max);

const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const DNS_NAME = /^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/;
// ECR/Docker tag rules; `latest` is refused separately because it makes a deploy unrepeatable.
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const name = checked((v) => NAME.test(v), 'a valid name (lowercase letters, digits and "-", 2-32 chars)');
export const dnsName = checked((v) => DNS_NAME.test(v), 'a valid domain name');
export const imageTag = checked((v) => IMAGE_TAG.test(v), 'a valid image tag').refine((v) => v !== 'latest', {
  error: '"latest" is not allowed: deploy an immutable tag such as the commit SHA',
});
/** A CIDR written as its network address (`10.0.0.0/16`, not `10.0.0.1/16`). */
export const ipv4Cidr = checked((v) => parseCidr(v) !== undefined, 'a valid IPv4 CIDR').refine(isNetworkAddress, {
  error: (issue) => `${show(issue.input)} has host bits set (use the network address)`,
});
/** An IAM role or user ARN, or an `ArnLike` pattern of one whose name is not a bare wildcard. */
export const principalArn = checked(
  (v) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@\/*-]+$/.test(v) && /[^*\/]/.test(v.split('/').pop() ?? '') && !/\/\*$/.test(v),
  'an IAM role or user ARN ("arn:aws:iam::<account>:role/<name>"; wildcards only inside a name)',
);
