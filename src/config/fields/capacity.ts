// Field schema of `capacity`: EC2 container instances for services with `capacity: "ec2"`.
import { z } from 'zod';
import { checked, int } from '../validators';

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
