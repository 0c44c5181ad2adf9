// Field schema of `alarms`: who is told, and the thresholds of the environment's alarms.
import { z } from 'zod';
import { int, show } from '../validators';

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
