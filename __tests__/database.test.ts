import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Testing } from 'cdktf';
import { buildEnvironment } from '../src/app';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import { stacksFor } from './helpers';

const parsed = (s: string) => JSON.parse(s) as { resource: Record<string, Record<string, any>>; output: Record<string, any> };
const instances = (s: string) => Object.values(parsed(s).resource.aws_db_instance);

describe('database per environment', () => {
  const prod = Testing.synth(stacksFor('prod').data);
  const dev = Testing.synth(stacksFor('dev').data);
  const staging = Testing.synth(stacksFor('staging').data);

  it('is PostgreSQL with the configured version, name, class and gp3 storage with an autoscaling limit, in the data subnets', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, {
      identifier: 'drf-api-prod-postgres',
      engine: 'postgres',
      engine_version: '17.6',
      db_name: 'app',
      instance_class: 'db.m7g.large',
      storage_type: 'gp3',
      allocated_storage: 100,
      max_allocated_storage: 500,
      db_subnet_group_name: expect.stringMatching(/db-subnets.*\.name/),
    });
    expect(dev).toHaveResourceWithProperties(DbInstance, { instance_class: 'db.t4g.micro', allocated_storage: 20, max_allocated_storage: 50 });
  });

  it('lets RDS manage the master password in Secrets Manager, and outputs the secret ARN', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, { manage_master_user_password: true, username: 'app_admin' });
    expect(parsed(prod).output.db_master_secret_arn.value).toMatch(/aws_db_instance\.database_primary_.*\.master_user_secret\[0\]\.secret_arn/);
  });

  it('is never publicly accessible and admits 5432 only from its clients\' security group', () => {
    for (const instance of instances(prod)) expect(instance.publicly_accessible).toBe(false);
    expect(prod).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: expect.stringMatching(/aws_security_group\.database_sg_/),
      referenced_security_group_id: expect.stringMatching(/aws_security_group\.database_client-sg_/),
      from_port: 5432,
      to_port: 5432,
      ip_protocol: 'tcp',
    });
    const ingress = Object.values(parsed(prod).resource.aws_vpc_security_group_ingress_rule);
    expect(ingress).toHaveLength(1);
    expect(ingress[0].cidr_ipv4).toBeUndefined();
    expect(prod).toHaveResourceWithProperties(VpcSecurityGroupEgressRule, {
      security_group_id: expect.stringMatching(/client-sg/),
      referenced_security_group_id: expect.stringMatching(/database_sg_/),
      from_port: 5432,
    });
  });

  it('has a standby in prod only', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, { identifier: 'drf-api-prod-postgres', multi_az: true });
    expect(dev).toHaveResourceWithProperties(DbInstance, { multi_az: false });
  });

  it('forces TLS and logs slow queries through its own parameter group', () => {
    expect(prod).toHaveResourceWithProperties(DbParameterGroup, {
      family: 'postgres17',
      parameter: expect.arrayContaining([
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_min_duration_statement', value: '500' },
      ]),
    });
    const slow = Testing.synth(stacksFor('dev', { database: { slowQueryMs: 200 } }).data);
    expect(slow).toHaveResourceWithProperties(DbParameterGroup, { parameter: expect.arrayContaining([{ name: 'log_min_duration_statement', value: '200' }]) });
  });

  it('exports PostgreSQL logs to log groups with retention', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, { enabled_cloudwatch_logs_exports: ['postgresql', 'upgrade'] });
    expect(prod).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/rds/instance/drf-api-prod-postgres/postgresql', retention_in_days: 90 });
  });

  it('is encrypted, backed up, with Performance Insights, tags copied to snapshots, minor upgrades and windows', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, {
      identifier: 'drf-api-prod-postgres',
      storage_encrypted: true,
      backup_retention_period: 14,
      backup_window: '17:00-18:00',
      maintenance_window: 'sun:18:30-sun:19:30',
      performance_insights_enabled: true,
      database_insights_mode: 'advanced',
      performance_insights_retention_period: 465,
      copy_tags_to_snapshot: true,
      auto_minor_version_upgrade: true,
    });
    expect(staging).toHaveResourceWithProperties(DbInstance, { backup_retention_period: 7, database_insights_mode: 'standard', performance_insights_retention_period: 7 });
  });

  it('prod: deletion protection, a deterministic final snapshot, and prevent_destroy', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, {
      identifier: 'drf-api-prod-postgres',
      deletion_protection: true,
      skip_final_snapshot: false,
      final_snapshot_identifier: 'drf-api-prod-postgres-final',
      delete_automated_backups: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  it('dev: skips the final snapshot because its config says so, and can be destroyed', () => {
    const [primary] = instances(dev);
    expect(primary).toEqual(expect.objectContaining({ skip_final_snapshot: true, deletion_protection: false, lifecycle: { prevent_destroy: false } }));
    expect(primary.final_snapshot_identifier).toBeUndefined();
  });

  it('adds read replicas from config', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, {
      identifier: 'drf-api-prod-postgres-replica-1',
      replicate_source_db: expect.stringMatching(/aws_db_instance\.database_primary_.*\.identifier/),
      publicly_accessible: false,
      storage_encrypted: true,
    });
    expect(instances(dev)).toHaveLength(1);
    expect(instances(Testing.synth(stacksFor('dev', { database: { readReplicas: 2 } }).data))).toHaveLength(3);
  });
});

describe('secrets', () => {
  it('no synthesized stack of any environment contains a password attribute', () => {
    const app = Testing.app();
    const stacks = loadConfig(project, environments).flatMap((config) => Object.values(buildEnvironment(app, config)));
    const keys = (value: unknown): string[] =>
      typeof value !== 'object' || value === null ? [] : Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)]);
    for (const stack of stacks) {
      const found = keys(JSON.parse(Testing.synth(stack))).filter((k) => /password/i.test(k) && k !== 'manage_master_user_password');
      expect(found).toEqual([]);
    }
    expect(stacks.length).toBeGreaterThanOrEqual(9);
  });
});
