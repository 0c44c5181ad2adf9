// Field schema of `database`: the RDS PostgreSQL instance of the environment.
import { z } from 'zod';
import { checked, int, show } from '../validators';

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
  /** The database the application connects to (the RDS console's "Additional configuration → Initial database name"). @default "app" */
  databaseName: checked((v) => /^[a-z][a-z0-9_]{0,62}$/.test(v), 'a valid PostgreSQL database name').default('app'),
  /** @default "app_admin" */
  masterUsername: checked((v) => /^[a-z][a-z0-9_]{0,15}$/.test(v) && v !== 'admin' && v !== 'postgres', 'a valid, non-reserved master username').default(
    'app_admin',
  ),
  /** gp3 storage; RDS PostgreSQL needs at least 20 GiB. @default 20 */
  allocatedStorageGiB: int(20, 65536).default(20),
  /** Storage autoscaling ceiling. @default 100 */
  maxAllocatedStorageGiB: int(20, 65536).default(100),
  /** A synchronous standby in another AZ (an environment's choice; the construct has no default). @default false */
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
  /** RDS deletion protection (the production rules check it; the construct has no default). @default true */
  deletionProtection: z.boolean().default(true),
  /** Production must keep deletion protection unless this says, in review, that it is meant. @default false */
  allowProductionWithoutDeletionProtection: z.boolean().default(false),
  /** Skip the final snapshot on delete; only for throwaway environments (the production rules check it). @default false */
  skipFinalSnapshot: z.boolean().default(false),
  /** Statements slower than this many milliseconds are logged (-1 turns it off). @default 500 (the `Database` construct's) */
  slowQueryMs: int(-1, 3_600_000).optional(),
  /**
   * CloudWatch Database Insights (successor of Performance Insights, whose console ended in 2026):
   * `standard` keeps 7 days of load history; `advanced` 465 days, with execution plans.
   * @default "standard" (the `Database` construct's)
   */
  databaseInsights: z.enum(['standard', 'advanced']).optional(),
  /** Read replicas in the same region. @default 0 (the `Database` construct's) */
  readReplicas: int(0, 5).optional(),
  /** Retention of the database's log groups, days. @default 30 (the `Database` construct's) */
  logRetentionDays: int(1, 3653).optional(),
  /**
   * RDS Enhanced Monitoring: OS metrics every this many seconds (0 turns it off).
   * @default 60 in production, 0 elsewhere
   */
  monitoringIntervalSeconds: z.literal([0, 1, 5, 10, 15, 30, 60]).optional(),
  /**
   * Key of the instance's storage: `customerKey` (the environment's data key, `<prefix>/data`) or
   * `awsManaged` (`aws/rds`). Changing it on an EXISTING database replaces the instance: the review
   * marks it DANGER and `prevent_destroy` stops the plan in production; move an existing database
   * with the snapshot-copy-restore migration of the README ("Security: keys of the network and data
   * stacks") instead, or keep `awsManaged` for it. @default "customerKey" (new environments)
   */
  storageEncryption: z.enum(['customerKey', 'awsManaged']).default('customerKey'),
});
