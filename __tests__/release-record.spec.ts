// The release record and the task definition copy: the two pieces of data a release writes.
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { ReleaseFailed } from '../src/release/errors';
import { advance, dropPending, EMPTY_RECORD, formatRecord, nextSequence, parseRecord, settledEntry, withPending, type ReleaseEntry } from '../src/release/record';
import { revisionWithImage, shortTaskDefinition } from '../src/release/task-definition';

const entry = (tag: string, hex: string): ReleaseEntry => ({
  tag,
  digest: `sha256:${hex.repeat(64)}`,
  image: `1.dkr.ecr.ap-northeast-1.amazonaws.com/drf-api-dev/api@sha256:${hex.repeat(64)}`,
  taskDefinitionArn: `arn:aws:ecs:ap-northeast-1:1:task-definition/drf-api-dev-api:${tag.length}`,
  releasedAt: '2026-11-30T09:00:00.000Z',
});

describe('release record', () => {
  it('reads the value Terraform creates: nothing released yet', () => {
    expect(parseRecord('{"current":null,"previous":null}', '/p')).toEqual(EMPTY_RECORD);
  });

  it('a release makes the old current the previous; a round trip keeps every field', () => {
    const one = advance(EMPTY_RECORD, entry('v1', 'a'));
    const two = advance(one, entry('v2', 'b'));
    expect(two).toEqual({ current: entry('v2', 'b'), previous: entry('v1', 'a') });
    expect(parseRecord(formatRecord(two), '/p')).toEqual(two);
  });

  it('re-releasing the current image keeps previous, so a rollback still changes the image', () => {
    const record = { current: entry('v2', 'b'), previous: entry('v1', 'a') };
    const again = { ...entry('v2', 'b'), taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:1:task-definition/drf-api-dev-api:9' };
    expect(advance(record, again)).toEqual({ current: again, previous: entry('v1', 'a') });
  });

  it('a damaged record stops the release with the parameter name', () => {
    expect(() => parseRecord('not json', '/drf-api/dev/releases/api')).toThrow(new ReleaseFailed('release record /drf-api/dev/releases/api is not JSON: "not json"', false));
    expect(() => parseRecord('{"current":{"tag":"v1"},"previous":null}', '/p')).toThrow(/release record \/p is not a valid record \(current\.digest: /);
  });
});

describe('task definition copy', () => {
  const latest: TaskDefinition = {
    taskDefinitionArn: 'arn:aws:ecs:ap-northeast-1:1:task-definition/drf-api-dev-api:7',
    family: 'drf-api-dev-api',
    revision: 7,
    status: 'ACTIVE',
    networkMode: 'awsvpc',
    containerDefinitions: [{ name: 'api', image: 'repo:v0.1.0', secrets: [{ name: 'X', valueFrom: '/x' }] }],
    ephemeralStorage: { sizeInGiB: 30 },
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
    inferenceAccelerators: [],
  };

  it('keeps what RegisterTaskDefinition accepts, drops read-only fields and empty lists, keeps tags', () => {
    expect(revisionWithImage(latest, [{ key: 'env', value: 'dev' }], 'api', 'repo@sha256:1')).toEqual({
      family: 'drf-api-dev-api',
      networkMode: 'awsvpc',
      containerDefinitions: [{ name: 'api', image: 'repo@sha256:1', secrets: [{ name: 'X', valueFrom: '/x' }] }],
      ephemeralStorage: { sizeInGiB: 30 },
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      tags: [{ key: 'env', value: 'dev' }],
    });
    expect(latest.containerDefinitions![0].image).toBe('repo:v0.1.0'); // the input is not changed
  });

  it('a family without the named container is an error naming the containers it has', () => {
    expect(() => revisionWithImage(latest, [], 'web', 'x')).toThrow(
      'task definition arn:aws:ecs:ap-northeast-1:1:task-definition/drf-api-dev-api:7 has no container named "web" (containers: api)',
    );
  });

  it('short names for messages', () => {
    expect(shortTaskDefinition(latest.taskDefinitionArn)).toBe('drf-api-dev-api:7');
    expect(shortTaskDefinition(undefined)).toBe('unknown');
  });
});

describe('release record: pending releases and sequence numbers', () => {
  const pending = { ...entry('v3', 'c'), sequence: 7, serviceDeploymentArn: 'arn:aws:ecs:ap-northeast-1:1:service-deployment/c/s/x', bakeEndsAt: '2026-11-30T10:00:00.000Z' };

  it('records written before pending and sequence existed still parse, and number the next release 1', () => {
    const old = JSON.stringify({ current: entry('v2', 'b'), previous: entry('v1', 'a') });
    const record = parseRecord(old, '/p');
    expect(record).toEqual({ current: entry('v2', 'b'), previous: entry('v1', 'a') });
    expect(nextSequence(record)).toBe(1);
  });

  it('a pending release round-trips, keeps current and previous, and settles into current', () => {
    const record = withPending({ current: entry('v2', 'b'), previous: entry('v1', 'a'), sequence: 6 }, pending);
    expect(parseRecord(formatRecord(record), '/p')).toEqual(record);
    expect(record.sequence).toBe(7);
    expect(nextSequence(record)).toBe(8);
    const settled = advance(record, settledEntry(pending));
    expect(settled).toEqual({ current: { ...entry('v3', 'c'), sequence: 7 }, previous: entry('v2', 'b'), sequence: 7 });
    expect(dropPending(record)).toEqual({ current: entry('v2', 'b'), previous: entry('v1', 'a'), sequence: 7 });
  });
});
