// A new task definition revision copied from the family's latest one with one container's image
// replaced: everything Terraform put there (roles, environment, secrets, logging, sizes) is kept, so a
// release changes the image and nothing else.
import type { RegisterTaskDefinitionRequest, Tag, TaskDefinition } from '@aws-sdk/client-ecs';
import { ReleaseFailed } from './errors';

/** The fields DescribeTaskDefinition returns that RegisterTaskDefinition accepts (the rest are read-only). */
const REGISTRABLE = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies ReadonlyArray<keyof TaskDefinition & keyof RegisterTaskDefinitionRequest>;

export function revisionWithImage(latest: TaskDefinition, tags: Tag[] | undefined, container: string, image: string): RegisterTaskDefinitionRequest {
  const definitions = latest.containerDefinitions ?? [];
  if (!definitions.some((c) => c.name === container)) {
    const names = definitions.map((c) => c.name).join(', ') || 'none';
    throw new ReleaseFailed(`task definition ${latest.taskDefinitionArn} has no container named "${container}" (containers: ${names})`, false);
  }
  const request: Record<string, unknown> = {};
  for (const field of REGISTRABLE) {
    const value = latest[field];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    request[field] = value;
  }
  request.containerDefinitions = definitions.map((c) => (c.name === container ? { ...c, image } : c));
  if (tags && tags.length > 0) request.tags = tags;
  return request as unknown as RegisterTaskDefinitionRequest;
}

/** `family:revision` of a task definition ARN, for messages. */
export function shortTaskDefinition(arn: string | undefined): string {
  return arn?.split('/').pop() ?? 'unknown';
}
