// The shape of one environment's configuration, and every rule a value must follow.
// Validation runs once, before any construct exists (see load.ts); constructs trust what they get.
import { z } from 'zod';
import { addressCount, contains, isNetworkAddress, isPrivate, overlaps, parseCidr, subnetAt, type Cidr } from './cidr';

export const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** A string that must pass `test`; the error names the bad value. */
const checked = (test: (value: string) => boolean, what: string) =>
  z.string().refine(test, { error: (issue) => `${show(issue.input)} is not ${what}`, abort: true });

const REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
const NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const DNS_NAME = /^(?=.{1,253}$)(?!-)([a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/;
const S3_BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// ECR/Docker tag rules; `latest` is refused separately because it makes a deploy unrepeatable.
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export const name = checked((v) => NAME.test(v), 'a valid name (lowercase letters, digits and "-", 2-32 chars)');
export const dnsName = checked((v) => DNS_NAME.test(v), 'a valid domain name');
export const imageTag = checked((v) => IMAGE_TAG.test(v), 'a valid image tag').refine((v) => v !== 'latest', {
  error: '"latest" is not allowed: deploy an immutable tag such as the commit SHA',
});
const ipv4Cidr = checked((v) => parseCidr(v) !== undefined, 'a valid IPv4 CIDR').refine(isNetworkAddress, {
  error: (issue) => `${show(issue.input)} has host bits set (use the network address)`,
});
const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** Tiers of the network: public (ALB, NAT), app (ECS tasks and hosts), data (RDS). */
export const TIERS = ['public', 'app', 'data'] as const;
export type Tier = (typeof TIERS)[number];

/** The smallest subnet each tier accepts: an ALB needs a /27, tasks in awsvpc mode use one address each. */
export const MIN_TIER_PREFIX: Record<Tier, number> = { public: 27, app: 24, data: 27 };

/** How much of the VPC a computed layout gives each tier: app /(vpc+3), public and data /(vpc+6). */
const TIER_LAYOUT: Record<Tier, { extraBits: number; firstIndex: number }> = {
  app: { extraBits: 3, firstIndex: 0 }, // first half of the VPC, one slot per AZ
  public: { extraBits: 6, firstIndex: 32 }, // from the middle of the VPC
  data: { extraBits: 6, firstIndex: 36 },
};
/** Slots are fixed per AZ index, so adding an AZ never moves an existing subnet. */
export const MAX_AZS = 4;

/**
 * The subnet CIDRs of a VPC laid out by the rules above: same VPC and AZ count, same answer.
 * Callers check first that the VPC is large enough (`vpc.prefix <= smallestComputableVpcPrefix`).
 */
export function planSubnets(vpc: Cidr, azCount: number): Record<Tier, string[]> {
  const plan = {} as Record<Tier, string[]>;
  for (const tier of TIERS) {
    const { extraBits, firstIndex } = TIER_LAYOUT[tier];
    plan[tier] = Array.from({ length: azCount }, (_, az) => subnetAt(vpc, vpc.prefix + extraBits, firstIndex + az));
  }
  return plan;
}
export const SMALLEST_COMPUTABLE_VPC_PREFIX = Math.min(...TIERS.map((t) => MIN_TIER_PREFIX[t] - TIER_LAYOUT[t].extraBits));

const subnetList = z.array(ipv4Cidr).min(2);

export const networkSchema = z.strictObject({
  /** @default "10.0.0.0/16" */
  vpcCidr: ipv4Cidr.default('10.0.0.0/16'),
  /** Explicit subnet CIDRs, one per AZ in AZ order; computed from `vpcCidr` when left out. */
  subnets: z.strictObject({ public: subnetList, app: subnetList, data: subnetList }).optional(),
  /** NAT for private egress: none, one shared gateway, or one per AZ (survives an AZ outage). @default "single" */
  natGateways: z.enum(['none', 'single', 'perAz']).default('single'),
  /** Interface endpoints (ECR, Logs, Secrets Manager, SSM) so private tasks work without NAT. @default true */
  interfaceEndpoints: z.boolean().default(true),
  /** Give the VPC and public subnets IPv6 (dual-stack ALB). @default true */
  ipv6: z.boolean().default(true),
  /** @default 30 */
  flowLogRetentionDays: int(1, 3653).default(30),
});

export const databaseSchema = z.strictObject({
  /** PostgreSQL `major.minor`. @default "17.6" */
  engineVersion: checked((v) => /^\d{2}\.\d{1,2}$/.test(v), 'a PostgreSQL version of the form "17.6"').default('17.6'),
  /** @default "db.t4g.micro" */
  instanceClass: checked((v) => /^db\.[a-z0-9]+\.[a-z0-9]+$/.test(v), 'an RDS instance class such as "db.t4g.micro"').default(
    'db.t4g.micro',
  ),
  /** The database the application connects to (seed: "Additional configuration → database name"). @default "app" */
  databaseName: checked((v) => /^[a-z][a-z0-9_]{0,62}$/.test(v), 'a valid PostgreSQL database name').default('app'),
  /** @default "app_admin" */
  masterUsername: checked((v) => /^[a-z][a-z0-9_]{0,15}$/.test(v) && v !== 'admin' && v !== 'postgres', 'a valid, non-reserved master username').default(
    'app_admin',
  ),
  /** gp3 storage; RDS PostgreSQL needs at least 20 GiB. @default 20 */
  allocatedStorageGiB: int(20, 65536).default(20),
  /** Storage autoscaling ceiling. @default 100 */
  maxAllocatedStorageGiB: int(20, 65536).default(100),
  /** A synchronous standby in another AZ. @default false */
  multiAz: z.boolean().default(false),
  /** @default 7 */
  backupRetentionDays: int(0, 35).default(7),
  /** UTC. @default "17:00-18:00" */
  backupWindow: checked((v) => /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(v), 'a window "hh:mm-hh:mm"').default(
    '17:00-18:00',
  ),
  /** UTC. @default "sun:18:30-sun:19:30" */
  maintenanceWindow: checked(
    (v) => /^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$/.test(v),
    'a window "ddd:hh:mm-ddd:hh:mm"',
  ).default('sun:18:30-sun:19:30'),
  /** @default true */
  deletionProtection: z.boolean().default(true),
  /** Production must keep deletion protection unless this says, in review, that it is meant. @default false */
  allowProductionWithoutDeletionProtection: z.boolean().default(false),
  /** Skip the final snapshot on delete; only for throwaway environments. @default false */
  skipFinalSnapshot: z.boolean().default(false),
  /** Statements slower than this are logged. @default 500 */
  slowQueryMs: int(-1, 3_600_000).default(500),
  /** @default 7 */
  performanceInsightsRetentionDays: z.union([z.literal(7), z.literal(731)]).default(7),
  /** Read replicas in the same region. @default 0 */
  readReplicas: int(0, 5).default(0),
  /** Retention of the PostgreSQL log group. @default 30 */
  logRetentionDays: int(1, 3653).default(30),
});

export const environmentSchema = z.strictObject({
  /** Production: stricter rules apply (deletion protection, final snapshot). @default false */
  production: z.boolean().default(false),
  region: checked((v) => REGION.test(v), 'an AWS region such as "ap-northeast-1"').default('ap-northeast-1'),
  /** At least two, all in `region`. */
  availabilityZones: z.array(z.string()).default(['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']),
  /** Terraform refuses to run against any other account (guards against the wrong credentials). */
  allowedAccountIds: z.array(checked((v) => /^\d{12}$/.test(v), 'a 12-digit AWS account id')).optional(),
  /** Remote state: the bucket this environment's bootstrap stack creates. */
  state: z.strictObject({
    bucket: checked((v) => S3_BUCKET.test(v), 'a valid S3 bucket name'),
  }),
  /** Container image tag; `IMAGE_TAG` in the environment overrides it at synth time (CI passes the commit SHA). */
  imageTag: imageTag,
  network: networkSchema.prefault({}),
  database: databaseSchema.prefault({}),
});

export const projectSchema = z.strictObject({
  /** The service's name: prefixes resource names and tags. */
  service: name,
  /** Where this code lives, tagged on every resource. */
  repository: z.string().min(1),
});

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type ProjectInput = z.input<typeof projectSchema>;
export type ParsedEnvironment = z.output<typeof environmentSchema>;

/** Rules that span several fields: run after the field-level ones pass. */
export function crossFieldIssues(env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  const azs = env.availabilityZones;
  if (azs.length < 2) add('availabilityZones', `${azs.length} given; at least 2 are required for high availability`);
  if (azs.length > MAX_AZS) add('availabilityZones', `${azs.length} given; at most ${MAX_AZS} are supported`);
  azs.forEach((az, i) => {
    if (!new RegExp(`^${env.region}[a-z]$`).test(az)) add(`availabilityZones.${i}`, `${show(az)} is not an availability zone of ${env.region}`);
    if (azs.indexOf(az) !== i) add(`availabilityZones.${i}`, `${show(az)} is listed twice`);
  });

  const vpc = parseCidr(env.network.vpcCidr)!;
  if (!isPrivate(vpc)) add('network.vpcCidr', `${show(vpc.text)} is not in a private range (10/8, 172.16/12, 192.168/16)`);
  if (vpc.prefix < 16 || vpc.prefix > 28) add('network.vpcCidr', `${show(vpc.text)}: AWS allows VPC sizes /16 to /28`);
  if (env.network.subnets) {
    for (const tier of TIERS) {
      const list = env.network.subnets[tier];
      if (list.length !== azs.length) add(`network.subnets.${tier}`, `${list.length} CIDRs for ${azs.length} availability zones`);
    }
    issues.push(...subnetIssues(vpc, env.network.subnets));
  } else if (vpc.prefix > SMALLEST_COMPUTABLE_VPC_PREFIX) {
    add('network.vpcCidr', `${show(vpc.text)} is too small for 3 tiers x ${azs.length} AZs; use /${SMALLEST_COMPUTABLE_VPC_PREFIX} or larger, or list network.subnets`);
  }

  const db = env.database;
  if (db.maxAllocatedStorageGiB < db.allocatedStorageGiB) {
    add('database.maxAllocatedStorageGiB', `${db.maxAllocatedStorageGiB} is below allocatedStorageGiB (${db.allocatedStorageGiB})`);
  }
  if (env.production) {
    if (!db.deletionProtection && !db.allowProductionWithoutDeletionProtection) {
      add('database.deletionProtection', 'must be true in production (or set allowProductionWithoutDeletionProtection: true)');
    }
    if (db.skipFinalSnapshot) add('database.skipFinalSnapshot', 'must be false in production: deleting the database must leave a snapshot');
    if (db.backupRetentionDays < 7) add('database.backupRetentionDays', `${db.backupRetentionDays} is below the production minimum of 7 days`);
  }
  if (db.readReplicas > 0 && db.backupRetentionDays === 0) {
    add('database.backupRetentionDays', 'must be at least 1 when read replicas are configured');
  }
  return issues;
}

/** Explicit subnets: inside the VPC, big enough for their tier, no two overlapping. */
export function subnetIssues(vpc: Cidr, subnets: Record<Tier, string[]>): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const seen: Array<{ path: string; cidr: Cidr }> = [];
  for (const tier of TIERS) {
    subnets[tier].forEach((text, i) => {
      const path = `network.subnets.${tier}.${i}`;
      const cidr = parseCidr(text)!;
      if (!contains(vpc, cidr)) issues.push({ path, message: `${show(text)} is outside the VPC ${vpc.text}` });
      if (cidr.prefix > MIN_TIER_PREFIX[tier]) {
        issues.push({ path, message: `${show(text)} has ${addressCount(cidr)} addresses; the ${tier} tier needs /${MIN_TIER_PREFIX[tier]} or larger` });
      }
      const clash = seen.find((other) => overlaps(other.cidr, cidr));
      if (clash) issues.push({ path, message: `${show(text)} overlaps ${clash.path} (${clash.cidr.text})` });
      seen.push({ path, cidr });
    });
  }
  return issues;
}
