// The shape of one environment's configuration (and of the project): the areas' field schemas, from
// src/config/fields/, mounted into one object. Validation runs once, before any construct exists
// (load.ts: these schemas, then the cross-field rules of rules.ts); constructs trust what they get.
// This module also re-exports the pieces other code imports from `config/schema`.
//
// One owner per default (issue 16 item 2). A value has its default in exactly one place:
//
// | kind of default                                    | owner                                   | examples |
// |----------------------------------------------------|-----------------------------------------|----------|
// | policy of this project's environments (depends on  | config: a field `.default()` in         | production rules (rules.ts), `database.multiAz`/`deletionProtection`/`skipFinalSnapshot`, `database.monitoringIntervalSeconds` (60 in production, applied in data-stack.ts), `availabilityZones`, `region`, `network.natGateways` |
// |   the environment or is not a construct's concern) |   src/config/fields/*, or the stack     |          |
// | what a construct does when not told otherwise      | the construct: `XxxProps` member with   | cache (CACHE_DEFAULTS: config fields are optional), database (slow-query 500 ms, insights `standard`, 0 replicas, 30-day logs), schedules (retries 2, max event age 3600 s), cache alarm thresholds, ECR lifecycle (7 days / 30 images), ECS Exec audit-log retention |
// |                                                    |   `@default`, applied in the construct  |          |
// | derived from other values                          | one function, used by config and        | listener-rule priority `defaultListenerPriority(position)`, target-group name `targetGroupName(prefix, service, suffix)` (src/naming.ts) |
// |                                                    |   construct alike                       |          |
//
// A field schema that keeps a `.default()` is the owner of that value; the construct then takes the
// member as required (no `??` fallback). A field whose construct owns the default is `.optional()` here
// and its TSDoc cites the construct's `@default`.
import { z } from 'zod';
import { alarmsSchema } from './fields/alarms';
import { capacitySchema } from './fields/capacity';
import { environmentCiSchema, GITHUB_REPOSITORY, projectCiSchema } from './fields/ci';
import { databaseSchema } from './fields/database';
import { edgeSchema } from './fields/edge';
import { networkSchema } from './fields/network';
import { serviceSchema } from './fields/services';
import { checked, imageTag, name, principalArn } from './validators';
import { cacheSchema, scheduleSchema } from './workloads';

export { alarmsSchema } from './fields/alarms';
export { capacitySchema } from './fields/capacity';
export { environmentCiSchema, projectCiSchema } from './fields/ci';
export { databaseSchema } from './fields/database';
export { edgeSchema, WAF_WEB_ACL_ARN } from './fields/edge';
export { networkSchema } from './fields/network';
export { FARGATE_SIZES, SECRET_REFERENCE, serviceSchema, type ServiceConfig } from './fields/services';
export { crossFieldIssues } from './rules';
export { MAX_AZS, MIN_TIER_PREFIX, planSubnets, SMALLEST_COMPUTABLE_VPC_PREFIX, subnetIssues, TIERS, type Tier } from './subnets';
export { dnsName, imageTag, name, show } from './validators';

// Region-shaped (`ap-northeast-1`, `us-gov-west-1`); whether AWS has it is checked in crossFieldIssues.
const REGION = /^[a-z]{2,4}(-[a-z]{2,4})?-[a-z]+-\d{1,2}$/;
const S3_BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const environmentSchema = z.strictObject({
  /** Production: stricter rules apply (deletion protection, final snapshot). @default false */
  production: z.boolean().default(false),
  region: checked((v) => REGION.test(v), 'an AWS region such as "ap-northeast-1"').default('ap-northeast-1'),
  /**
   * Accept a `region` that AWS provider 6.25 does not know (a region opened later; src/config/regions.ts
   * lists the known ones). Prints a warning on every synth. @default false
   */
  allowUnknownRegion: z.boolean().default(false),
  /** At least two, all in `region`. */
  availabilityZones: z.array(z.string()).default(['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']),
  /** Terraform refuses to run against any other account (guards against the wrong credentials). */
  allowedAccountIds: z.array(checked((v) => /^\d{12}$/.test(v), 'a 12-digit AWS account id')).optional(),
  /** Remote state: the bucket this environment's bootstrap stack creates. */
  state: z.strictObject({
    bucket: checked((v) => S3_BUCKET.test(v), 'a valid S3 bucket name'),
    /**
     * Keep the bootstrap stack's own state in the bucket (`<env>/bootstrap.tfstate`) once it exists;
     * switch on, synth, then `terraform init -migrate-state` in its stack directory (README).
     * @default false (local state under state/)
     */
    bootstrapInBucket: z.boolean().default(false),
    /**
     * IAM roles (or users) that may read, write and administer the state bucket besides the pipeline
     * roles, as ARNs or `ArnLike` patterns (e.g. an SSO permission set's role:
     * `arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/<region>/AWSReservedSSO_AdministratorAccess_*`).
     * The bucket policy denies every other principal; whoever applies the bootstrap stack is added
     * automatically so a first apply cannot lock its deployer out. Required in production (README).
     * @default []
     */
    adminRoleArns: z.array(principalArn).default([]),
  }),
  /** Pipeline identities of this environment (bootstrap stack; project-level switches in `project.ci`). */
  ci: environmentCiSchema.prefault({}),
  /** Container image of the first deploy only; later images come from `npm run release` (nothing at synth time overrides it). */
  imageTag: imageTag,
  network: networkSchema.prefault({}),
  database: databaseSchema.prefault({}),
  capacity: capacitySchema.prefault({}),
  edge: edgeSchema,
  services: z.array(serviceSchema).min(1),
  /** ElastiCache (Valkey/Redis OSS) for Django's cache, sessions and a Celery broker, in `<env>-data`. @default none */
  cache: cacheSchema.optional(),
  /** Scheduled runs of a service's task with another command (EventBridge Scheduler). @default [] */
  schedules: z.array(scheduleSchema).default([]),
  alarms: alarmsSchema.prefault({}),
  /**
   * ECS Exec (`aws ecs execute-command`) into this environment's tasks: sessions encrypted with the
   * app stack's KMS key and audited in `/ecs/<prefix>/exec-audit`. Turn it on in production only
   * for an incident, and off again afterwards (README "ECS Exec"). @default true, false in production
   */
  ecsExec: z.boolean().optional(),
});

export const projectSchema = z.strictObject({
  /** The service's name: prefixes resource names and tags. */
  service: name,
  /**
   * Where this code lives, `github.com/<org>/<repo>`: tagged on every resource, and the repository the
   * pipeline roles trust (their OIDC subjects are pinned to it).
   */
  repository: checked((v) => GITHUB_REPOSITORY.test(v), '"github.com/<org>/<repo>" (the pipeline roles\' OIDC trust is pinned to it)'),
  /** Which CI systems may assume the pipeline roles. @default GitHub Actions only */
  ci: projectCiSchema.prefault({}).refine((ci) => ci.github.enabled || ci.circleci?.enabled === true, {
    error: 'enables neither GitHub Actions nor CircleCI: the pipeline roles need a CI system to trust',
  }),
});

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type ProjectInput = z.input<typeof projectSchema>;
/** The validated project, CI switches included. */
export type ProjectConfig = z.output<typeof projectSchema>;
export type ParsedEnvironment = z.output<typeof environmentSchema>;
