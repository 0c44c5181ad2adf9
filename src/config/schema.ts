// The shape of one environment's configuration, and every rule a value must follow.
// Validation runs once, before any construct exists (see load.ts); constructs trust what they get.
import { z } from 'zod';
import { addressCount, contains, isNetworkAddress, isPrivate, overlaps, parseCidr, subnetAt, type Cidr } from './cidr';
import { documentationRangeOf } from './examples';
import { isKnownRegion, partitionOf } from './regions';
import { cacheSchema, queueScalingSchema, scheduleSchema, serviceCacheSchema, workloadIssues } from './workloads';

export const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** A string that must pass `test`; the error names the bad value. */
const checked = (test: (value: string) => boolean, what: string) =>
  z.string().refine(test, { error: (issue) => `${show(issue.input)} is not ${what}`, abort: true });

// Region-shaped (`ap-northeast-1`, `us-gov-west-1`); whether AWS has it is checked in crossFieldIssues.
const REGION = /^[a-z]{2,4}(-[a-z]{2,4})?-[a-z]+-\d{1,2}$/;
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
/** `arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<uuid>`; CloudFront (global) ACLs cannot attach to an ALB. */
export const WAF_WEB_ACL_ARN =
  /^arn:(aws|aws-us-gov|aws-cn):wafv2:([a-z0-9-]+):(\d{12}):regional\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
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
  /**
   * PostgreSQL MAJOR version. RDS applies minor versions itself (auto minor upgrades), so pinning a
   * minor would make the next plan try a downgrade after AWS upgraded the instance. @default "17"
   */
  engineVersion: z
    .string()
    .refine((v) => !/^\d+\.\d+$/.test(v), {
      error: (issue) => `${show(issue.input)}: give the major version only (${show(String(issue.input).split('.')[0])}); RDS applies minor upgrades itself`,
      abort: true,
    })
    .refine((v) => /^\d{2}$/.test(v), { error: (issue) => `${show(issue.input)} is not a PostgreSQL major version such as "17"`, abort: true })
    .default('17'),
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
  /**
   * CloudWatch Database Insights (successor of Performance Insights, whose console ended in 2026):
   * `standard` keeps 7 days of load history; `advanced` 465 days, with execution plans.
   * @default "standard"
   */
  databaseInsights: z.enum(['standard', 'advanced']).default('standard'),
  /** Read replicas in the same region. @default 0 */
  readReplicas: int(0, 5).default(0),
  /** Retention of the PostgreSQL log group. @default 30 */
  logRetentionDays: int(1, 3653).default(30),
  /**
   * RDS Enhanced Monitoring: OS metrics every this many seconds (0 turns it off).
   * @default 60 in production, 0 elsewhere
   */
  monitoringIntervalSeconds: z.literal([0, 1, 5, 10, 15, 30, 60]).optional(),
});

/** Valid Fargate task sizes: cpu units → allowed memory (MiB). */
export const FARGATE_SIZES: Record<number, number[]> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};
function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

const port = int(1, 65535);
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `${show(issue.input)} is not a valid environment variable name` });
/** A Secrets Manager secret ARN (optionally with `:json-key:stage:version`), an SSM parameter ARN, or an SSM parameter name. */
export const SECRET_REFERENCE =
  /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+(:[^:]*:[^:]*:[^:]*)?|arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter\/[A-Za-z0-9/_.-]+|\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*)$/;
const secretReference = checked((v) => SECRET_REFERENCE.test(v), 'a Secrets Manager secret ARN, an SSM parameter ARN or an SSM parameter name ("/app/key")');
const matcher = checked((v) => /^[1-5]\d\d(-[1-5]\d\d)?(,[1-5]\d\d(-[1-5]\d\d)?)*$/.test(v), 'a valid HTTP code matcher ("200", "200-399", "200,301")');
const urlPath = checked((v) => v.startsWith('/'), 'a path starting with "/"');

export const serviceSchema = z.strictObject({
  /** Unique in the environment; names the ECS service, task family, log group and repository. */
  name: name,
  /** `web` (behind the load balancer) or `worker` (no load balancer, no ingress: e.g. Celery). @default "web" */
  kind: z.enum(['web', 'worker']).default('web'),
  /** Uses the environment's cache: tasks join its clients' group and connect with IAM auth. @default no cache access */
  cache: serviceCacheSchema.optional(),
  /** Workers only: also scale on the depth of an SQS queue. @default CPU only */
  queueScaling: queueScalingSchema.optional(),
  /** Where tasks run. Fargate Spot is for interruptible, non-production work. @default "fargate" */
  capacity: z.enum(['fargate', 'fargateSpot', 'ec2']).default('fargate'),
  /** `awsvpc` gives each task its own ENI and security group; `bridge` (EC2 only) is how the seed ran. @default "awsvpc" */
  networkMode: z.enum(['awsvpc', 'bridge']).default('awsvpc'),
  /** Task CPU units; on Fargate, cpu and memory must be a valid pair. @default 256 */
  cpu: int(128, 16384).default(256),
  /** Task memory, MiB. @default 512 */
  memory: int(128, 122880).default(512),
  container: z
    .strictObject({
      /** Django REST framework (gunicorn) listens on 8000. @default 8000 */
      port: port.default(8000),
      /** Host port in `bridge` mode: the seed mapped host 80 → container 8000; 0 picks a dynamic port. @default 0 */
      hostPort: int(0, 65535).default(0),
      /** Hard limit, MiB: the container is killed above it. @default the task memory */
      memory: int(6, 122880).optional(),
      /** Soft limit, MiB: reserved for scheduling; may be exceeded while the host has room. */
      memoryReservation: int(6, 122880).optional(),
      /** Overrides the image's CMD. */
      command: z.array(z.string()).optional(),
      /** Plain environment variables (never secrets). @default {} */
      environment: z.record(envVarName, z.string()).default({}),
      /** Secrets injected at start: env var → secret ARN or SSM parameter (the database needs none: IAM authentication). @default {} */
      secrets: z.record(envVarName, secretReference).default({}),
      /**
       * Linux user the container runs as: a numeric `uid` or `uid:gid`, never root (0). The image's
       * writable paths (/tmp, and /var/lib/amazon, /var/log/amazon for ECS Exec) must belong to it.
       * @default "1000:1000"
       */
      user: checked((v) => /^\d+(:\d+)?$/.test(v), 'a numeric user "uid" or "uid:gid"')
        .refine((v) => v.split(':')[0] !== '0', { error: 'must not be root (uid 0): containers run as a non-root user' })
        .default('1000:1000'),
      /**
       * Container health check (Docker HEALTHCHECK semantics). No tool is assumed to be in the
       * image: use one it has, e.g. Python for a Django image:
       * `["CMD", "python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8000/health/', timeout=3)"]`.
       * Off when unset (the load balancer's health check still applies).
       */
      healthCheck: z
        .strictObject({
          /** `["CMD", <exec args>...]` or `["CMD-SHELL", "<shell command>"]`; exit 0 = healthy. */
          command: z
            .array(z.string().min(1))
            .min(2)
            .refine((c) => c[0] === 'CMD' || c[0] === 'CMD-SHELL', { error: 'must start with "CMD" or "CMD-SHELL"' }),
          intervalSeconds: int(5, 300).default(30),
          timeoutSeconds: int(2, 60).default(5),
          retries: int(1, 10).default(3),
          startPeriodSeconds: int(0, 300).default(30),
        })
        .optional(),
    })
    .prefault({}),
  /** @default 2 */
  desiredCount: int(0, 1000).default(2),
  autoscaling: z
    .strictObject({
      /** @default 2 */
      minCount: int(0, 1000).default(2),
      /** @default 4 */
      maxCount: int(1, 1000).default(4),
      /** @default 60 */
      cpuTargetPercent: int(10, 95).default(60),
      /** @default 75 */
      memoryTargetPercent: int(10, 95).default(75),
      /** ALB requests per task to aim for; off when unset. */
      requestsPerTarget: int(1, 100000).optional(),
    })
    .prefault({}),
  deployment: z
    .strictObject({
      /** `rolling` or `blueGreen` (ECS-native: green is tested through a test listener rule before traffic moves). @default "rolling" */
      strategy: z.enum(['rolling', 'blueGreen']).default('rolling'),
      /** Rolling: share of desired tasks that stay healthy during a deploy (seed 002). @default 100 */
      minimumHealthyPercent: int(0, 100).default(100),
      /** Rolling: upper bound of running tasks during a deploy (seed 002). @default 200 */
      maximumPercent: int(100, 200).default(200),
      blueGreen: z
        .strictObject({
          /**
           * Minutes blue keeps running after production traffic moved to green, for an instant
           * rollback (seed: keep blue 1 hour). ECS `bake_time_in_minutes`. @default 60
           */
          bakeTimeMinutes: int(0, 1440).default(60),
          /**
           * HTTP header that sends a request to green during a release (test listener rule on the
           * HTTPS listener; value `green`). @default "x-release-test"
           */
          testHeaderName: checked((v) => /^[A-Za-z0-9-]{1,40}$/.test(v), 'a valid HTTP header name (letters, digits, "-")').default('x-release-test'),
          /** When set, only requests from these sources reach green through the test header. @default [] (any source with the header) */
          testListenerCidrs: z.array(ipv4Cidr).default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * The non-master PostgreSQL role the service connects as, with IAM database authentication (no
   * password). The service's migrate task creates it and grants it `rds_iam` (README "Database
   * credentials"). @default "app"
   */
  databaseUser: checked((v) => /^[a-z][a-z0-9_]{0,62}$/.test(v), 'a valid PostgreSQL role name').default('app'),
  /** Seconds ECS ignores failing load balancer health checks after a task starts. @default 60 */
  healthCheckGracePeriodSeconds: int(0, 7200).default(60),
  loadBalancer: z
    .strictObject({
      /** Route by host name (in the environment's zone). */
      hosts: z.array(dnsName).optional(),
      /** Route by path pattern, e.g. "/admin/*". */
      paths: z.array(urlPath).optional(),
      /** Listener rule priority (lower wins). @default 100 × (position + 1) */
      priority: int(1, 50000).optional(),
      /** @default 30 */
      deregistrationDelaySeconds: int(0, 3600).default(30),
      healthCheck: z
        .strictObject({
          /** @default "/" */
          path: urlPath.default('/'),
          /** The seed's DRF app answered "/" with 400: set what healthy looks like. @default "200-399" */
          matcher: matcher.default('200-399'),
          /** @default 30 */
          intervalSeconds: int(5, 300).default(30),
          /** @default 5 */
          timeoutSeconds: int(2, 120).default(5),
          /** @default 3 */
          healthyThreshold: int(2, 10).default(3),
          /** @default 3 */
          unhealthyThreshold: int(2, 10).default(3),
        })
        .prefault({}),
    })
    .prefault({}),
  /** @default 30 */
  logRetentionDays: int(1, 3653).default(30),
  /** What `npm run release` does besides rolling out the image. */
  release: z
    .strictObject({
      /**
       * One-off command run with the new image before any traffic moves (e.g.
       * `["python", "manage.py", "migrate", "--noinput"]`), as the `<service>-migrate` task
       * family with its own roles; the release continues only on exit code 0. @default none
       */
      migrate: z.array(z.string().min(1)).min(1).optional(),
    })
    .prefault({}),
});

export const capacitySchema = z.strictObject({
  /** EC2 container instances (ECS-optimized Amazon Linux 2023) for services with `capacity: "ec2"`. */
  ec2: z
    .strictObject({
      instanceType: checked((v) => /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(v), 'an EC2 instance type such as "t3.medium"'),
      /** @default 1 */
      minSize: int(0, 100).default(1),
      /** @default 4 */
      maxSize: int(1, 100).default(4),
      /** Share of the group's capacity ECS managed scaling aims to use. @default 100 */
      targetCapacityPercent: int(1, 100).default(100),
      /** @default 30 */
      rootVolumeGiB: int(30, 16384).default(30),
    })
    .optional(),
});

export const edgeSchema = z.strictObject({
  /** The service's public name, its hosted zone, and extra names on the certificate. Required unless `httpOnly`. */
  domain: z
    .strictObject({
      name: dnsName,
      /** Hosted zone the name lives in (e.g. "example.com"). */
      zone: dnsName,
      /** Create the zone rather than look up an existing one. @default false */
      createZone: z.boolean().default(false),
      /** Subject alternative names, inside the zone. @default [] */
      alternativeNames: z.array(dnsName).default([]),
    })
    .optional(),
  /** Serve plain HTTP with no certificate and no DNS. Only for throwaway environments; must be chosen explicitly. @default false */
  httpOnly: z.boolean().default(false),
  /** @default 60 */
  idleTimeoutSeconds: int(1, 4000).default(60),
  /** @default true */
  deletionProtection: z.boolean().default(true),
  /**
   * WAFv2 web ACL (regional, same account and region) to associate with the ALB, typically managed by
   * the account's security tooling (Firewall Manager). Required in production (README "WAF").
   */
  wafWebAclArn: checked((v) => WAF_WEB_ACL_ARN.test(v), 'a regional WAFv2 web ACL ARN ("arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>")').optional(),
  /** Production without a web ACL: only with this set, and a warning on every synth. @default false */
  allowProductionWithoutWaf: z.boolean().default(false),
  /** Days ALB access logs are kept. @default 90 */
  accessLogRetentionDays: int(1, 3653).default(90),
});

export const alarmsSchema = z.strictObject({
  /** Who is told: e-mail addresses subscribed to the environment's alarm topic. @default [] */
  emails: z.array(z.email({ error: (issue) => `${show(issue.input)} is not a valid e-mail address` })).default([]),
  /** ALB-generated 5xx responses per 5 minutes. @default 10 */
  alb5xxPer5Minutes: int(1, 1_000_000).default(10),
  /** Target (application) 5xx responses per 5 minutes, per service. @default 25 */
  target5xxPer5Minutes: int(1, 1_000_000).default(25),
  /** @default 85 */
  ecsCpuPercent: int(1, 100).default(85),
  /** @default 85 */
  ecsMemoryPercent: int(1, 100).default(85),
  /** @default 80 */
  rdsCpuPercent: int(1, 100).default(80),
  /** Alarm when free storage falls below this. @default 5 */
  rdsFreeStorageGiB: int(1, 65536).default(5),
  /** @default 100 */
  rdsConnections: int(1, 100_000).default(100),
});

// github.com/<org>/<repo>: GitHub's rules for organization (39 chars, no leading "-") and repository names.
const GITHUB_REPOSITORY = /^github\.com\/[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
// Lower-case, as CircleCI shows ids and writes them into its tokens (the trust compares exactly).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const uuid = checked((v) => UUID.test(v), 'a lower-case UUID such as "0f8e5c1a-7d2b-4c3e-9a1f-2b3c4d5e6f70"');
/** An IAM role or user ARN, or an `ArnLike` pattern of one whose name is not a bare wildcard. */
const principalArn = checked(
  (v) => /^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/[\w+=,.@\/*-]+$/.test(v) && /[^*\/]/.test(v.split('/').pop() ?? '') && !/\/\*$/.test(v),
  'an IAM role or user ARN ("arn:aws:iam::<account>:role/<name>"; wildcards only inside a name)',
);
const oidcProviderMode = z.enum(['create', 'existing']);

export const projectCiSchema = z.strictObject({
  /** GitHub Actions (`.github/workflows/`): OIDC provider `token.actions.githubusercontent.com`. */
  github: z
    .strictObject({
      /** Trust GitHub Actions. @default true */
      enabled: z.boolean().default(true),
    })
    .prefault({}),
  /** CircleCI (`.circleci/`): OIDC provider `oidc.circleci.com/org/<organizationId>`. Off when absent. */
  circleci: z
    .strictObject({
      /** Trust CircleCI. @default true */
      enabled: z.boolean().default(true),
      /** Organization Settings → Overview → Organization ID: the provider's URL and the tokens' audience. */
      organizationId: uuid,
      /** Project Settings → Overview → Project ID: the only project whose jobs the roles trust. */
      projectId: uuid,
    })
    .optional(),
});

export const environmentCiSchema = z.strictObject({
  /**
   * The GitHub deployment environment whose jobs may assume the apply and release roles (their OIDC
   * subject is `repo:<org>/<repo>:environment:<name>`). Restrict it to main with GitHub's
   * deployment-branch rules (README). Required in production.
   * @default the environment's name (outside production)
   */
  githubEnvironment: checked((v) => /^[A-Za-z0-9._-]{1,255}$/.test(v), 'a GitHub environment name (letters, digits, ".", "_", "-")').optional(),
  /**
   * CircleCI: the branch whose pipelines may assume the apply and release roles (checked in the
   * token's subject with `$CIRCLE_OIDC_TOKEN_V2`).
   * @default "main"
   */
  deployBranch: checked((v) => /^[A-Za-z0-9._/-]{1,255}$/.test(v) && !v.includes('..'), 'a branch name').default('main'),
  /**
   * Per OIDC provider: `create` it in this environment's account, or reference the one that already
   * exists there (an account holds one provider per URL: when environments share an account, one
   * creates it and the others say `existing`; README tells how to import one made by hand).
   */
  oidcProviders: z
    .strictObject({
      /** @default "create" */
      github: oidcProviderMode.default('create'),
      /** @default "create" */
      circleci: oidcProviderMode.default('create'),
    })
    .prefault({}),
});

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

/** Rules that span several fields: run after the field-level ones pass. */
export function crossFieldIssues(env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const add = (path: string, message: string) => issues.push({ path, message });

  if (!isKnownRegion(env.region) && !env.allowUnknownRegion) {
    add('region', `${show(env.region)} is not an AWS region known to provider 6.25 (src/config/regions.ts); for a newer region set allowUnknownRegion: true`);
  }
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
    issues.push(...productionAccessIssues(env));
  }
  if (db.readReplicas > 0 && db.backupRetentionDays === 0) {
    add('database.backupRetentionDays', 'must be at least 1 when read replicas are configured');
  }

  const edge = env.edge;
  const zone = edge.domain?.zone;
  const inZone = (host: string) => zone !== undefined && (host === zone || host.endsWith(`.${zone}`));
  if (!edge.domain && !edge.httpOnly) {
    add('edge.domain', 'is required unless edge.httpOnly is true (an HTTP-only environment must be chosen explicitly)');
  }
  if (edge.domain && edge.httpOnly) add('edge.httpOnly', 'cannot be true when edge.domain is set');
  if (edge.domain) {
    if (!inZone(edge.domain.name)) add('edge.domain.name', `${show(edge.domain.name)} is outside the zone ${show(zone)}`);
    edge.domain.alternativeNames.forEach((n, i) => {
      if (!inZone(n)) add(`edge.domain.alternativeNames.${i}`, `${show(n)} is outside the zone ${show(zone)}`);
    });
  }
  if (env.production && edge.httpOnly) add('edge.httpOnly', 'is not allowed in production');
  if (env.production && !edge.deletionProtection) add('edge.deletionProtection', 'must be true in production');
  if (env.production && env.ci.githubEnvironment === undefined) {
    add('ci.githubEnvironment', 'is required in production: the protected GitHub environment (deployment branches: main, required reviewers) whose jobs may apply and release');
  }
  if (env.production && env.state.adminRoleArns.length === 0) {
    add('state.adminRoleArns', 'needs at least one role in production: the bucket policy denies everyone else, and the state must stay reachable by your administrators');
  }
  env.state.adminRoleArns.forEach((arn, i) => {
    const account = arn.split(':')[4];
    if (env.allowedAccountIds?.length && !env.allowedAccountIds.includes(account)) {
      add(`state.adminRoleArns.${i}`, `${show(arn)} is in account ${account}, not in allowedAccountIds`);
    }
  });
  issues.push(...wafIssues(env));
  issues.push(...workloadIssues(env, serviceSchema.shape.loadBalancer.parse(undefined)));

  const ec2 = env.capacity.ec2;
  if (ec2 && ec2.minSize > ec2.maxSize) add('capacity.ec2.minSize', `${ec2.minSize} is above maxSize (${ec2.maxSize})`);

  const names = env.services.map((svc) => svc.name);
  const priorities = new Map<number, string>();
  const testPriorities = new Map<number, string>();
  env.services.forEach((svc, i) => {
    const at = `services.${i}`;
    if (names.indexOf(svc.name) !== i) add(`${at}.name`, `${show(svc.name)} is used by another service`);
    if (svc.networkMode === 'bridge' && svc.capacity !== 'ec2') add(`${at}.networkMode`, '"bridge" needs capacity "ec2" (Fargate supports awsvpc only)');
    if (svc.capacity === 'ec2' && !ec2) add(`${at}.capacity`, '"ec2" needs capacity.ec2 with an instanceType');
    if (svc.capacity === 'fargateSpot' && env.production) add(`${at}.capacity`, '"fargateSpot" can be interrupted at any time: not allowed in production');
    if (svc.capacity !== 'ec2') {
      const allowed = FARGATE_SIZES[svc.cpu];
      if (!allowed) add(`${at}.cpu`, `${svc.cpu} is not a Fargate CPU size (${Object.keys(FARGATE_SIZES).join(', ')})`);
      else if (!allowed.includes(svc.memory)) {
        add(`${at}.memory`, `${svc.memory} MiB is not valid with cpu ${svc.cpu} on Fargate (${allowed[0]}-${allowed[allowed.length - 1]} in steps of ${allowed[1] - allowed[0]})`);
      }
    }
    const hard = svc.container.memory ?? svc.memory;
    if (hard > svc.memory) add(`${at}.container.memory`, `${hard} exceeds the task memory (${svc.memory})`);
    const soft = svc.container.memoryReservation;
    if (soft !== undefined && soft > hard) add(`${at}.container.memoryReservation`, `${soft} exceeds the hard limit container.memory (${hard})`);
    if (svc.container.hostPort !== 0 && svc.networkMode !== 'bridge') add(`${at}.container.hostPort`, 'only applies with networkMode "bridge"');
    if (svc.databaseUser === env.database.masterUsername) add(`${at}.databaseUser`, `${show(svc.databaseUser)} is the master user: the application needs its own role`);

    const scale = svc.autoscaling;
    if (scale.minCount > scale.maxCount) add(`${at}.autoscaling.minCount`, `${scale.minCount} is above maxCount (${scale.maxCount})`);
    else if (svc.desiredCount < scale.minCount || svc.desiredCount > scale.maxCount) {
      add(`${at}.desiredCount`, `${svc.desiredCount} is outside autoscaling [${scale.minCount}, ${scale.maxCount}]`);
    }

    // Workers have no load balancer: the rules below are about listener rules.
    if (svc.kind === 'worker') return;
    const lb = svc.loadBalancer;
    if (env.services.filter((other) => other.kind !== 'worker').length > 1 && !lb.hosts && !lb.paths) add(`${at}.loadBalancer`, 'several services share the load balancer: give each hosts or paths');
    lb.hosts?.forEach((host, h) => {
      if (edge.domain && !inZone(host)) add(`${at}.loadBalancer.hosts.${h}`, `${show(host)} is outside the zone ${show(zone)}`);
    });
    const priority = lb.priority ?? 100 * (i + 1);
    if (priorities.has(priority)) add(`${at}.loadBalancer.priority`, `${priority} is also the priority of ${priorities.get(priority)}`);
    priorities.set(priority, `services.${names.indexOf(svc.name)}`);

    if (svc.deployment.strategy === 'blueGreen') {
      const bg = svc.deployment.blueGreen;
      if (edge.httpOnly) add(`${at}.deployment.strategy`, '"blueGreen" needs HTTPS (edge.domain): test traffic is never sent over plain HTTP');
      if (svc.autoscaling.requestsPerTarget !== undefined) {
        add(`${at}.autoscaling.requestsPerTarget`, 'is not supported with blueGreen (ECS alternates the target group the metric is tied to)');
      }
      // The test rule sits just before the production rule and repeats its conditions; ALB allows
      // 5 condition values per rule.
      if (priority <= 1) add(`${at}.loadBalancer.priority`, `${priority} leaves no room for the blue/green test rule (priority ${priority - 1}); use 2 or more`);
      else testPriorities.set(priority - 1, at);
      const values = (lb.hosts?.length ?? 0) + (lb.paths?.length ?? (lb.hosts ? 0 : 1)) + 1 + bg.testListenerCidrs.length;
      if (values > 5) {
        add(`${at}.deployment.blueGreen.testListenerCidrs`, `the test rule would have ${values} condition values (hosts, paths, header, CIDRs); ALB allows 5`);
      }
    }
  });
  for (const [testPriority, at] of testPriorities) {
    const owner = priorities.get(testPriority);
    if (owner) add(`${at}.loadBalancer.priority`, `its blue/green test rule needs priority ${testPriority}, which is the priority of ${owner}`);
  }
  return issues;
}

/**
 * Production guards against the wrong account and open access: pinned account ids, a WAF web ACL
 * (or an explicit opt-out), and no documentation address range in any allowed-CIDR list (a field
 * whose name ends in `Cidrs`), since such a placeholder would be replaced in a hurry at apply time.
 */
function productionAccessIssues(env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (!env.allowedAccountIds?.length) {
    add('allowedAccountIds', 'is required in production: Terraform must refuse credentials of any other account');
  }
  const edge = env.edge;
  if (!edge.wafWebAclArn && !edge.allowProductionWithoutWaf) {
    add('edge.wafWebAclArn', 'is required in production (a web ACL from your security tooling; README "WAF"), or set edge.allowProductionWithoutWaf: true');
  }
  if (edge.wafWebAclArn && edge.allowProductionWithoutWaf) add('edge.allowProductionWithoutWaf', 'cannot be true when edge.wafWebAclArn is set');
  const visit = (value: unknown, path: string, inCidrList: boolean): void => {
    if (typeof value === 'string') {
      const range = inCidrList ? documentationRangeOf(value) : undefined;
      if (range) add(path, `${show(value)} is inside the documentation range ${range}: not allowed in production (use your real range, e.g. your VPN's)`);
    } else if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${path}.${i}`, inCidrList));
    else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) visit(item, path ? `${path}.${key}` : key, /Cidrs$/.test(key));
    }
  };
  visit(env, '', false);
  return issues;
}

/** A web ACL must be in the ALB's partition, region and (when pinned) account. */
function wafIssues(env: ParsedEnvironment): Array<{ path: string; message: string }> {
  const arn = env.edge.wafWebAclArn ? WAF_WEB_ACL_ARN.exec(env.edge.wafWebAclArn) : null;
  if (!arn) return [];
  const [, partition, region, account] = arn;
  const problems: string[] = [];
  if (region !== env.region || partition !== partitionOf(env.region)) problems.push(`is in ${partition}:${region}, not in the environment's region ${partitionOf(env.region)}:${env.region}`);
  if (env.allowedAccountIds?.length && !env.allowedAccountIds.includes(account)) problems.push(`is in account ${account}, not in allowedAccountIds`);
  return problems.map((message) => ({ path: 'edge.wafWebAclArn', message: `${show(env.edge.wafWebAclArn)} ${message}` }));
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
export type ServiceConfig = z.output<typeof serviceSchema>;
