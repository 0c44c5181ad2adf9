// Field schema of one entry of `services`: an ECS service (web or worker), its task, container,
// scaling, deployment strategy and load balancer routing. The cache and queue-scaling blocks come from
// workloads.ts.
import { z } from 'zod';
import { checked, dnsName, int, ipv4Cidr, name, show } from '../validators';
import { queueScalingSchema, serviceCacheSchema } from '../workloads';

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
  /** `awsvpc` gives each task its own ENI and security group; `bridge` (EC2 only) shares the host's network, as the original EC2 setup did. @default "awsvpc" */
  networkMode: z.enum(['awsvpc', 'bridge']).default('awsvpc'),
  /** Task CPU units; on Fargate, cpu and memory must be a valid pair. @default 256 */
  cpu: int(128, 16384).default(256),
  /** Task memory, MiB. @default 512 */
  memory: int(128, 122880).default(512),
  container: z
    .strictObject({
      /** Django REST framework (gunicorn) listens on 8000. @default 8000 */
      port: port.default(8000),
      /** Host port in `bridge` mode: a fixed one (e.g. host 80 → container 8000) fits one task per host; 0 picks a dynamic port. @default 0 */
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
      /** Rolling: share of desired tasks that stay healthy during a deploy (ECS's own default). @default 100 */
      minimumHealthyPercent: int(0, 100).default(100),
      /** Rolling: upper bound of running tasks during a deploy (ECS's own default). @default 200 */
      maximumPercent: int(100, 200).default(200),
      blueGreen: z
        .strictObject({
          /**
           * Minutes blue keeps running after production traffic moved to green, for an instant
           * rollback (an hour, as the CodeDeploy releases this replaced kept it). ECS `bake_time_in_minutes`. @default 60
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
          /** A DRF app often answers "/" with 400 (no route there): set what healthy looks like. @default "200-399" */
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
  /**
   * Where the tasks may open connections besides the database and cache: `internet` (HTTPS anywhere,
   * through the NAT gateways: partners see the environment's NAT addresses, output `nat_egress_ips`)
   * or `vpcOnly` (HTTPS to the VPC's interface endpoints and to S3 through its gateway endpoint only).
   * @default "vpcOnly" where the environment has interface endpoints, else "internet"
   */
  egress: z.enum(['internet', 'vpcOnly']).optional(),
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

export type ServiceConfig = z.output<typeof serviceSchema>;
