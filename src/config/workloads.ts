// Configuration of what runs beside the web services: the cache (ElastiCache), worker services and
// scheduled tasks — their field schemas and the rules that span several fields. schema.ts mounts the
// fields; crossFieldIssues calls workloadIssues. Defaults belong to the constructs (Cache, ScheduledTask)
// unless a rule here says otherwise (production policy).
import { z } from 'zod';
import { CACHE_DEFAULTS, CACHE_ENGINE_VERSION } from '../constructs/cache-defaults';
import { isTimeZone, SCHEDULE_EXPRESSION } from '../constructs/schedule-expression';
import { dailyOverlapsWeekly, parseDailyWindow, parseWeeklyWindow } from '../lib/windows';
import type { ParsedEnvironment } from './schema';
import { checked, int, show } from './validators';


/**
 * Current-generation ElastiCache node types for Valkey and Redis OSS. Previous generations (t2, m3,
 * m4, r3, r4) are refused, and so is r6gd (data tiering, which this project does not configure).
 */
export const CACHE_NODE_TYPES: readonly string[] = [
  ...['micro', 'small', 'medium'].flatMap((size) => [`cache.t4g.${size}`, `cache.t3.${size}`]),
  ...['m7g', 'm6g', 'r7g', 'r6g', 'c7gn'].flatMap((family) =>
    ['large', 'xlarge', '2xlarge', '4xlarge', '8xlarge', '12xlarge', '16xlarge'].map((size) => `cache.${family}.${size}`),
  ),
  ...['m5', 'r5'].flatMap((family) => ['large', 'xlarge', '2xlarge', '4xlarge', '12xlarge', '24xlarge'].map((size) => `cache.${family}.${size}`)),
];

const percent = int(1, 100);

export const cacheSchema = z.strictObject({
  /** `valkey` or `redis` (Redis OSS). @default "valkey" */
  engine: z.enum(['valkey', 'redis']).optional(),
  /**
   * `major.minor` — ElastiCache's format for Valkey and Redis OSS ≥ 7 (valkey ≥ 7.2, redis ≥ 7.0: IAM
   * authentication needs them). Patch versions come from AWS; automatic minor upgrades are off, so the
   * version changes only here (an in-place upgrade) and never drifts into a planned replacement.
   */
  engineVersion: z.string(),
  /** Node type, e.g. `cache.t4g.micro` (dev), `cache.r7g.large` (prod); see CACHE_NODE_TYPES. */
  nodeType: checked((v) => CACHE_NODE_TYPES.includes(v), 'an ElastiCache node type this project supports (e.g. "cache.t4g.micro", "cache.r7g.large")'),
  /** Read replicas beside the primary (0-5). Required ≥ 1 in production. @default 0 */
  replicas: int(0, 5).optional(),
  /** Automatic failover + Multi-AZ. Required in production; needs replicas ≥ 1. @default false */
  multiAz: z.boolean().optional(),
  /** Days of daily snapshots kept (0-35; at least 1 in production). @default 1 */
  snapshotRetentionDays: int(0, 35).optional(),
  /** Daily snapshot window, UTC `hh:mm-hh:mm` (≥ 60 minutes). @default "16:00-17:00" (01:00 JST) */
  snapshotWindow: checked((v) => (parseDailyWindow(v)?.minutes ?? 0) >= 60, 'a UTC window "hh:mm-hh:mm" of at least 60 minutes').optional(),
  /**
   * Weekly maintenance window, UTC `ddd:hh:mm-ddd:hh:mm` (≥ 60 minutes, not overlapping the snapshot
   * window). @default "sun:18:00-sun:19:00" (Monday 03:00 JST)
   */
  maintenanceWindow: checked((v) => (parseWeeklyWindow(v)?.minutes ?? 0) >= 60, 'a UTC window "ddd:hh:mm-ddd:hh:mm" of at least 60 minutes').optional(),
  /** Retention of the slow-log and engine-log groups. @default 30 */
  logRetentionDays: int(1, 3653).optional(),
  /**
   * Key of the nodes' storage: `customerKey` (the environment's data key) or `awsManaged`. Changing it
   * REPLACES an existing replication group (DANGER in the review; `prevent_destroy` in production):
   * an existing cache keeps `awsManaged`, or is recreated deliberately (its content is a cache).
   * @default "customerKey" (applied by the data stack)
   */
  storageEncryption: z.enum(['customerKey', 'awsManaged']).optional(),
  /** Alarm thresholds, per node. @default the CacheAlarms defaults (90, 90, 80, 1, 1000) */
  alarms: z
    .strictObject({
      /** Host CPUUtilization, %. @default 90 */
      cpuPercent: percent.optional(),
      /** EngineCPUUtilization, %. @default 90 */
      engineCpuPercent: percent.optional(),
      /** DatabaseMemoryUsagePercentage. @default 80 */
      memoryPercent: percent.optional(),
      /** Evictions per 5 minutes. @default 1 */
      evictionsPer5Minutes: int(1, 10_000_000).optional(),
      /** CurrConnections. @default 1000 */
      connections: int(1, 65_000).optional(),
    })
    .optional(),
});

const envVarName = checked((v) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(v), 'a valid environment variable name');

/** A service that uses the environment's cache (its tasks join the cache clients' group and may connect). */
export const serviceCacheSchema = z.strictObject({
  /** Env var with `rediss://<user>@<host>:<port>/0` (CACHE_NAME, CACHE_USER, CACHE_IAM_AUTH come too). @default "REDIS_URL" */
  urlEnvVar: envVarName.optional(),
});

/** Scale a worker on the depth of an SQS queue it consumes (beside CPU). */
export const queueScalingSchema = z.strictObject({
  /** Name of the SQS queue (ApproximateNumberOfMessagesVisible). */
  queueName: checked((v) => /^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(v), 'an SQS queue name'),
  /** Visible messages per running task to aim for. */
  messagesPerTask: int(1, 1_000_000),
});

/** Scheduled tasks must fit `<project>-<env>-<name>-scheduler` in IAM's 64 characters: keep names short. */
export const scheduleSchema = z.strictObject({
  /** Unique in the environment; names the schedule, its group, DLQ, role and alarms. */
  name: checked((v) => /^[a-z][a-z0-9-]{0,19}$/.test(v), 'a schedule name (lower-case letters, digits, "-", at most 20 characters)'),
  /** Service whose task definition family runs (its latest release), with its network and roles. */
  service: z.string(),
  /** Command that replaces the container's, e.g. ["python", "manage.py", "clearsessions"]. */
  command: z.array(z.string().min(1)).min(1),
  /** `cron(<min> <hour> <day-of-month> <month> <day-of-week> <year>)` or `rate(<n> <unit>)`, in `timezone`. */
  schedule: checked((v) => SCHEDULE_EXPRESSION.test(v), 'a schedule expression: "cron(0 3 * * ? *)" (6 fields) or "rate(15 minutes)"'),
  /** IANA time zone of the expression, e.g. "Asia/Tokyo" (required: a schedule says when it runs). */
  timezone: checked(isTimeZone, 'an IANA time zone such as "Asia/Tokyo" or "UTC"'),
  /** Retries of a failed start before the event goes to the dead-letter queue (0-185). @default 2 */
  retries: int(0, 185).optional(),
  /** Seconds Scheduler keeps retrying one run (60-86400). @default 3600 */
  maxEventAgeSeconds: int(60, 86_400).optional(),
  /** Minutes Scheduler may start late (flexible time window); off when unset. @default off */
  flexibleWindowMinutes: int(1, 1440).optional(),
  /** Whether it fires. @default true */
  enabled: z.boolean().optional(),
});

export type CacheConfig = z.output<typeof cacheSchema>;
export type ScheduleConfig = z.output<typeof scheduleSchema>;

type Issue = { path: string; message: string };

/**
 * Rules across fields for the cache, workers and schedules. `defaultLoadBalancer` is what a service's
 * `loadBalancer` parses to when absent: a worker whose block differs from it was given one.
 */
export function workloadIssues(env: ParsedEnvironment, defaultLoadBalancer: unknown): Issue[] {
  const issues: Issue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  const cache = (env as { cache?: CacheConfig }).cache;

  if (cache) {
    const engine = cache.engine ?? CACHE_DEFAULTS.engine;
    if (!CACHE_ENGINE_VERSION[engine].test(cache.engineVersion)) {
      add('cache.engineVersion', `${show(cache.engineVersion)} is not a ${engine} "major.minor" version with IAM authentication (valkey 7.2 or later, e.g. "8.0"; redis 7.0 or later, e.g. "7.1")`);
    }
    const replicas = cache.replicas ?? CACHE_DEFAULTS.replicas;
    if (cache.multiAz && replicas < 1) add('cache.multiAz', 'needs cache.replicas of at least 1 (a replica in another AZ to fail over to)');
    const snapshotWindow = cache.snapshotWindow ?? CACHE_DEFAULTS.snapshotWindow;
    const maintenanceWindow = cache.maintenanceWindow ?? CACHE_DEFAULTS.maintenanceWindow;
    if (dailyOverlapsWeekly(snapshotWindow, maintenanceWindow)) {
      add('cache.snapshotWindow', `${show(snapshotWindow)} overlaps cache.maintenanceWindow ${show(maintenanceWindow)}`);
    }
    if (env.production) {
      if (!cache.multiAz) add('cache.multiAz', 'must be true in production (automatic failover to a replica in another AZ)');
      if (replicas < 1) add('cache.replicas', 'must be at least 1 in production');
      if ((cache.snapshotRetentionDays ?? CACHE_DEFAULTS.snapshotRetentionDays) < 1) add('cache.snapshotRetentionDays', 'must be at least 1 in production');
    }
  }

  const services = env.services as Array<ParsedEnvironment['services'][number] & WorkloadServiceFields>;
  services.forEach((svc, i) => {
    const at = `services.${i}`;
    if (svc.cache && !cache) add(`${at}.cache`, 'the environment has no cache: add a top-level cache block or remove this one');
    if (svc.kind === 'worker') {
      if (JSON.stringify(svc.loadBalancer) !== JSON.stringify(defaultLoadBalancer)) {
        add(`${at}.loadBalancer`, 'a worker takes no HTTP traffic: remove the loadBalancer block (or use kind "web")');
      }
      if (svc.deployment.strategy === 'blueGreen') add(`${at}.deployment.strategy`, '"blueGreen" needs a load balancer: workers deploy rolling');
      if (svc.autoscaling.requestsPerTarget !== undefined) add(`${at}.autoscaling.requestsPerTarget`, 'a worker has no requests to scale on (use queueScaling)');
      if (svc.queueScaling && svc.autoscaling.minCount < 1) {
        add(`${at}.autoscaling.minCount`, 'must be at least 1 with queueScaling (the backlog per task has no value without a running task)');
      }
    } else if (svc.queueScaling) {
      add(`${at}.queueScaling`, 'only workers scale on a queue (kind "worker")');
    }
  });

  const schedules = (env as { schedules?: ScheduleConfig[] }).schedules ?? [];
  const names = services.map((svc) => svc.name);
  schedules.forEach((schedule, i) => {
    const at = `schedules.${i}`;
    if (!names.includes(schedule.service)) add(`${at}.service`, `${show(schedule.service)} is not a service of this environment (${names.join(', ')})`);
    if (schedules.findIndex((other) => other.name === schedule.name) !== i) add(`${at}.name`, `${show(schedule.name)} is used by another schedule`);
  });
  return issues;
}

/** Service fields this file adds to the service schema (for code that reads them before schema.ts's type has them). */
export interface WorkloadServiceFields {
  readonly kind: 'web' | 'worker';
  readonly cache?: z.output<typeof serviceCacheSchema>;
  readonly queueScaling?: z.output<typeof queueScalingSchema>;
}
