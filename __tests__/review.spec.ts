import { TerraformResource, Testing, type TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { Database, type DatabaseProps } from '../src/constructs/database';
import { formatMarkdown, formatText, reviewStacks } from '../src/review/plan-review';
import type { SynthesizedStack } from '../src/synth-output';
import { stacksFor } from './helpers';

const dbProps: DatabaseProps = {
  namePrefix: 'svc-prod',
  vpcId: 'vpc-1',
  dbSubnetGroupName: 'svc-prod-data',
  engineVersion: '17.6',
  instanceClass: 'db.m7g.large',
  databaseName: 'app',
  masterUsername: 'app_admin',
  allocatedStorageGiB: 100,
  maxAllocatedStorageGiB: 200,
  multiAz: true,
  backupRetentionDays: 14,
  backupWindow: '17:00-18:00',
  maintenanceWindow: 'sun:18:30-sun:19:30',
  deletionProtection: true,
  skipFinalSnapshot: false,
  partition: 'aws',
};

/** One stack named `prod-data` built by `build`, synthesized. */
function stackWith(build: (stack: TerraformStack) => void): SynthesizedStack {
  const app = Testing.app();
  const { TerraformStack } = require('cdktf');
  const stack = new TerraformStack(app, 'prod-data');
  build(stack);
  return { name: 'prod-data', dependencies: [], json: JSON.parse(Testing.synth(stack)) };
}
const resourcesUnder = (scope: Construct) => scope.node.findAll().filter((c): c is TerraformResource => c instanceof TerraformResource);

describe('review: the data-loss guard', () => {
  const oldAddresses = new Map<string, string>(); // construct path below the database → old address
  const base = stackWith((stack) => {
    const db = new Database(stack, 'database', dbProps);
    for (const r of resourcesUnder(db)) oldAddresses.set(r.node.path.replace('prod-data/database/', ''), `${r.terraformResourceType}.${r.friendlyUniqueId}`);
  });

  it('fires when a construct id is renamed: the database would be destroyed and created anew', () => {
    const renamed = stackWith((stack) => new Database(stack, 'postgres', dbProps));
    const review = reviewStacks([base], [renamed]);
    expect(review.dangers).toEqual(
      expect.arrayContaining([
        { stack: 'prod-data', address: expect.stringMatching(/^aws_db_instance\.database_primary_/), reason: expect.stringContaining('would be destroyed') },
        { stack: 'prod-data', address: expect.stringMatching(/^aws_cloudwatch_log_group\.database_logs/), reason: expect.any(String) },
      ]),
    );
    expect(formatText(review)).toContain('DANGER');
    expect(formatMarkdown(review)).toContain('⚠️ DANGER');
  });

  it('passes the same rename done with a cdktf move (a Terraform `moved` block)', () => {
    const moved = stackWith((stack) => {
      const db = new Database(stack, 'postgres', dbProps);
      for (const resource of resourcesUnder(db)) {
        resource.moveFromId(oldAddresses.get(resource.node.path.replace('prod-data/postgres/', ''))!);
      }
    });
    expect(moved.json.moved).toEqual(expect.arrayContaining([{ from: expect.stringMatching(/^aws_db_instance\.database_primary_/), to: expect.stringMatching(/^aws_db_instance\.postgres_primary_/) }]));
    const review = reviewStacks([base], [moved]);
    expect(review.dangers).toEqual([]);
    expect(review.stacks[0].resources.every((r) => r.action === 'move')).toBe(true);
  });

  it('flags attributes that force replacement of stored data', () => {
    for (const [change, attribute] of [
      [{ databaseName: 'other' }, 'db_name'],
      [{ masterUsername: 'root_user' }, 'username'],
      [{ namePrefix: 'svc-prd' }, 'identifier'],
    ] as const) {
      const changed = stackWith((stack) => new Database(stack, 'database', { ...dbProps, ...change }));
      const review = reviewStacks([base], [changed]);
      expect(review.dangers).toEqual(expect.arrayContaining([expect.objectContaining({ reason: expect.stringContaining(`changing ${attribute}`) })]));
    }
  });

  it('flags a VPC or subnet CIDR change, and shows attribute-level diffs', () => {
    const before = stacksFor('dev').network;
    const after = stacksFor('dev', { network: { vpcCidr: '10.11.0.0/16' } }).network;
    const review = reviewStacks(
      [{ name: 'dev-network', dependencies: [], json: JSON.parse(Testing.synth(before)) }],
      [{ name: 'dev-network', dependencies: [], json: JSON.parse(Testing.synth(after)) }],
    );
    const vpc = review.stacks[0].resources.find((r) => r.address.startsWith('aws_vpc.'))!;
    expect(vpc.changes).toEqual([{ path: 'cidr_block', before: '10.10.0.0/16', after: '10.11.0.0/16' }]);
    expect(vpc.danger).toContain('replaces the aws_vpc');
    expect(review.dangers.filter((d) => d.address.startsWith('aws_subnet.'))).toHaveLength(6);
  });

  it('a harmless change is a change, not a danger', () => {
    const bigger = stackWith((stack) => new Database(stack, 'database', { ...dbProps, instanceClass: 'db.m7g.xlarge' }));
    const review = reviewStacks([base], [bigger]);
    expect(review.dangers).toEqual([]);
    expect(review.stacks[0].resources).toEqual([
      expect.objectContaining({ action: 'change', changes: [{ path: 'instance_class', before: 'db.m7g.large', after: 'db.m7g.xlarge' }] }),
    ]);
    expect(formatText(reviewStacks([base], [base]))).toBe('No changes to the synthesized Terraform.\n');
  });

  it('flags a change that replaces the cache (ElastiCache) or a release record', () => {
    const stack = (resource: Record<string, unknown>): SynthesizedStack => ({ name: 'prod-data', dependencies: [], json: { resource } });
    const cache = (kmsKeyId: string) => stack({ aws_elasticache_replication_group: { cache: { replication_group_id: 'drf-api-prod', kms_key_id: kmsKeyId, node_type: 'cache.r7g.large' } } });
    const review = reviewStacks([cache('alias/old')], [cache('alias/new')]);
    expect(review.dangers).toEqual([expect.objectContaining({ address: 'aws_elasticache_replication_group.cache', reason: expect.stringContaining('changing kms_key_id replaces the aws_elasticache_replication_group and its data') })]);
    const record = (name: string) => stack({ aws_ssm_parameter: { record: { name, type: 'String' } } });
    expect(reviewStacks([record('/drf-api/prod/releases/api')], [record('/drf-api/prod/releases/web')]).dangers).toHaveLength(1);
  });

  it('flags a removed stack\'s stateful resources', () => {
    const review = reviewStacks([base], []);
    expect(review.stacks[0].status).toBe('removed');
    expect(review.dangers.map((d) => d.address)).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_db_instance\./)]));
  });
});
