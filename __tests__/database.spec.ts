import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { TerraformOutput, Testing } from 'cdktf';
import { buildEnvironment } from '../src/app';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import { databaseSchema } from '../src/config/schema';
import { Database, type DatabaseProps } from '../src/constructs/database';
import { DatabaseReference } from '../src/constructs/database-reference';
import type { Statement } from '../src/lib/iam';
import { DataStack } from '../src/stacks/data-stack';
import { NetworkStack } from '../src/stacks/network-stack';
import { configFor, configProblems, resourcesIn, type Overrides } from './helpers';

/** A database from its Props alone: the required members only. */
const unitProps: DatabaseProps = {
  namePrefix: 'svc-test',
  vpcId: 'vpc-1',
  dbSubnetGroupName: 'svc-test-data',
  engineVersion: '17',
  instanceClass: 'db.t4g.micro',
  databaseName: 'app',
  masterUsername: 'app_admin',
  allocatedStorageGiB: 20,
  maxAllocatedStorageGiB: 20,
  multiAz: false,
  backupRetentionDays: 1,
  backupWindow: '17:00-18:00',
  maintenanceWindow: 'sun:18:30-sun:19:30',
  deletionProtection: true,
  skipFinalSnapshot: false,
  partition: 'aws',
};

const parsed = (s: string) => JSON.parse(s) as { resource: Record<string, Record<string, any>>; output: Record<string, any> };
const instances = (s: string) => Object.values(parsed(s).resource.aws_db_instance);

/** The data stack of one environment (with the network it reads), synthesized. */
function synthData(envName: string, overrides: Overrides = {}): string {
  const app = Testing.app();
  const config = configFor(envName, overrides);
  const network = new NetworkStack(app, config);
  return Testing.synth(new DataStack(app, { config, network: network.network }));
}

describe('database per environment', () => {
  const prod = synthData('prod');
  const dev = synthData('dev');
  const staging = synthData('staging');

  it('is PostgreSQL with the configured version, name, class and gp3 storage with an autoscaling limit, in the data subnets', () => {
    expect(prod).toHaveResourceWithProperties(DbInstance, {
      identifier: 'drf-api-prod-postgres',
      engine: 'postgres',
      engine_version: '17',
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
    // The data stack may hold other stores (a cache); the database's group has this one rule only.
    const ingress = Object.values(parsed(prod).resource.aws_vpc_security_group_ingress_rule).filter((r) => /aws_security_group\.database_sg_/.test(r.security_group_id));
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
    const slow = synthData('dev', { database: { slowQueryMs: 200 } });
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
    expect(instances(synthData('dev', { database: { readReplicas: 2, backupRetentionDays: 1 } }))).toHaveLength(3);
  });
});

describe('engine version: the major only, minor versions from RDS (issue 14.4)', () => {
  it('pins the primary to the major version with auto minor upgrades, and the parameter family to match', () => {
    const synthesized = synthData('dev');
    expect(synthesized).toHaveResourceWithProperties(DbInstance, { identifier: 'drf-api-dev-postgres', engine_version: '17', auto_minor_version_upgrade: true });
    expect(synthesized).toHaveResourceWithProperties(DbParameterGroup, { family: 'postgres17' });
  });

  it('leaves replicas without an engine_version (they run their source\'s) and with auto minor upgrades', () => {
    const replicas = instances(synthData('dev', { database: { readReplicas: 1, backupRetentionDays: 1 } })).filter((i) => i.replicate_source_db);
    expect(replicas).toHaveLength(1);
    expect(replicas[0].engine_version).toBeUndefined();
    expect(replicas[0].auto_minor_version_upgrade).toBe(true);
  });

  it('refuses a major.minor version, saying to give the major', () => {
    expect(configProblems('dev', { database: { engineVersion: '17.6' } })).toEqual([
      'dev.database.engineVersion: "17.6": give the major version only ("17"); RDS applies minor upgrades itself',
    ]);
  });

  it('refuses something that is no version', () => {
    expect(configProblems('dev', { database: { engineVersion: 'latest' } })).toEqual(['dev.database.engineVersion: "latest" is not a PostgreSQL major version such as "17"']);
  });
});

describe('parameter group', () => {
  const synthesized = synthData('dev');
  const [group] = resourcesIn(synthesized, 'aws_db_parameter_group');

  it('has a name prefix, not a fixed name, so create_before_destroy can replace it (issue 14.5)', () => {
    expect(group.name_prefix).toBe('drf-api-dev-postgres-17-');
    expect(group.name).toBeUndefined();
    expect(group.lifecycle).toEqual({ create_before_destroy: true });
    expect(synthesized).toHaveResourceWithProperties(DbInstance, { parameter_group_name: expect.stringMatching(/aws_db_parameter_group\.database_parameters_.*\.name/) });
  });

  it('logs connections, disconnections and, with pgaudit, DDL and role changes; keeps TLS forced (issue 18.5)', () => {
    expect(group.parameter).toEqual(
      expect.arrayContaining([
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_connections', value: '1' },
        { name: 'log_disconnections', value: '1' },
        { name: 'shared_preload_libraries', value: 'pg_stat_statements,pgaudit', apply_method: 'pending-reboot' },
        { name: 'pgaudit.log', value: 'ddl,role' },
      ]),
    );
  });
});

describe('IAM database authentication and the resource id (issues 14.1, 18.5)', () => {
  it('is enabled on the primary and every replica', () => {
    const all = instances(synthData('dev', { database: { readReplicas: 2, backupRetentionDays: 1 } }));
    expect(all).toHaveLength(3);
    for (const instance of all) expect(instance.iam_database_authentication_enabled).toBe(true);
  });

  it('exposes the primary\'s resource id on the construct and as a described output', () => {
    const synthesized = Testing.synthScope((scope) => {
      const database = new Database(scope, 'database', unitProps);
      new TerraformOutput(scope, 'resource_id', { value: database.resourceId });
    });
    expect(parsed(synthesized).output.resource_id.value).toMatch(/aws_db_instance\.database_primary_.*\.resource_id/);
    const output = parsed(synthData('dev')).output.db_resource_id;
    expect(output.value).toMatch(/aws_db_instance\.database_primary_.*\.resource_id/);
    expect(output.description).toMatch(/rds-db:connect/);
  });

  it('describes every output of the data stack', () => {
    for (const [name, output] of Object.entries(parsed(synthData('dev')).output)) expect([name, output.description]).toEqual([name, expect.any(String)]);
  });
});

describe('enhanced monitoring (issue 18.5)', () => {
  it('prod: every 60 s by default, on the primary and the replica, through a role only RDS monitoring of this database may assume', () => {
    const prod = synthData('prod');
    const all = instances(prod);
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const instance of all) {
      expect(instance.monitoring_interval).toBe(60);
      expect(instance.monitoring_role_arn).toMatch(/aws_iam_role\.database_monitoring-role_.*\.arn/);
      expect(instance.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/aws_iam_role_policy_attachment\.database_monitoring-policy_/)]));
    }
    expect(prod).toHaveResourceWithProperties(IamRole, { name: 'drf-api-prod-postgres-monitoring' });
    const [role] = resourcesIn(prod, 'aws_iam_role');
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'monitoring.rds.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': expect.stringMatching(/aws_caller_identity/) },
          ArnLike: { 'aws:SourceArn': expect.stringMatching(/^arn:aws:rds:\$\{data\.aws_region\..*\}:\$\{data\.aws_caller_identity\..*\}:db:drf-api-prod-postgres\*$/) },
        },
      },
    ]);
    expect(prod).toHaveResourceWithProperties(IamRolePolicyAttachment, {
      policy_arn: 'arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole',
      role: expect.stringMatching(/aws_iam_role\.database_monitoring-role_.*\.name/),
    });
  });

  it('off elsewhere by default: interval 0 and no role', () => {
    const dev = synthData('dev');
    expect(dev).toHaveResourceWithProperties(DbInstance, { monitoring_interval: 0 });
    expect(resourcesIn(dev, 'aws_iam_role')).toEqual([]);
    expect(instances(dev)[0].monitoring_role_arn).toBeUndefined();
  });

  it('follows the config: an interval in dev, off in prod', () => {
    expect(synthData('dev', { database: { monitoringIntervalSeconds: 15 } })).toHaveResourceWithProperties(DbInstance, { monitoring_interval: 15 });
    const prodOff = synthData('prod', { database: { monitoringIntervalSeconds: 0 } });
    for (const instance of instances(prodOff)) expect(instance.monitoring_interval).toBe(0);
    expect(resourcesIn(prodOff, 'aws_iam_role')).toEqual([]);
  });

  it('refuses an interval RDS does not offer', () => {
    const problems = configProblems('dev', { database: { monitoringIntervalSeconds: 20 as never } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^dev\.database\.monitoringIntervalSeconds: /);
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

describe('Database: security groups through Connections, grants', () => {
  const props = unitProps;

  it('keys both rules of the client pair by content; the construct carries no moves of its own (it can be moved again)', () => {
    const json = JSON.parse(Testing.synthScope((scope) => void new Database(scope, 'database', props)));
    expect(Object.keys(json.resource.aws_vpc_security_group_ingress_rule)).toEqual([expect.stringMatching(/^database_db-ingress-from-db-clients-5432_/)]);
    expect(Object.keys(json.resource.aws_vpc_security_group_egress_rule)).toEqual([expect.stringMatching(/^database_db-clients-egress-to-db-5432_/)]);
    expect(json.moved).toBeUndefined();
  });

  it('the data stack moves the rules of existing deployments from their earlier addresses', () => {
    const json = JSON.parse(synthData('dev'));
    expect(json.moved).toEqual(
      expect.arrayContaining([
        { from: expect.stringMatching(/\.database_ingress-from-clients_/), to: expect.stringMatching(/\.database_db-ingress-from-db-clients-5432_/) },
        { from: expect.stringMatching(/\.database_clients-egress-to-db_/), to: expect.stringMatching(/\.database_db-clients-egress-to-db-5432_/) },
        { from: expect.stringMatching(/\.cache_ingress-from-clients_/), to: expect.stringMatching(/\.cache_cache-ingress-from-cache-clients-6379_/) },
        { from: expect.stringMatching(/\.cache_clients-egress-to-cache_/), to: expect.stringMatching(/\.cache_cache-clients-egress-to-cache-6379_/) },
      ]),
    );
  });

  it('grantConnect gives rds-db:connect on the primary\'s dbuser ARN in its own account and region; grantReadMasterSecret the secret only', () => {
    const json = JSON.parse(
      Testing.synthScope((scope) => {
        const statements: Statement[] = [];
        const collector = { addToPolicy: (...added: Statement[]) => void statements.push(...added) };
        const database = new Database(scope, 'database', props);
        database.grantConnect(collector, 'app');
        database.grantReadMasterSecret(collector);
        new TerraformOutput(scope, 'statements', { value: statements });
      }),
    );
    expect(json.output.statements.value).toEqual([
      {
        Sid: 'DatabaseIamAuth',
        Effect: 'Allow',
        Action: 'rds-db:connect',
        Resource: expect.stringMatching(
          /^arn:aws:rds-db:\$\{data\.aws_region\.database_region_\w+\.region\}:\$\{data\.aws_caller_identity\.database_caller_\w+\.account_id\}:dbuser:\$\{aws_db_instance\.database_primary_\w+\.resource_id\}\/app$/,
        ),
      },
      { Sid: 'ReadDatabaseMasterSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: expect.stringMatching(/master_user_secret\[0\]\.secret_arn/) },
    ]);
  });
});

describe('DatabaseReference: the grants of a database in another stack', () => {
  const attributes = {
    address: 'db.example.internal',
    port: 5432,
    databaseName: 'app',
    resourceId: 'db-ABC',
    masterUserSecretArn: 'arn:aws-cn:secretsmanager:cn-north-1:111111111111:secret:rds!db-1-AbCdEf',
    region: 'cn-north-1',
    accountId: '111111111111',
    partition: 'aws-cn',
  };
  const granted = (reference: DatabaseReference, grant: (r: DatabaseReference, collector: { addToPolicy: (...s: Statement[]) => void }) => void) => {
    const statements: Statement[] = [];
    grant(reference, { addToPolicy: (...added) => void statements.push(...added) });
    return statements;
  };

  it('grantConnect: rds-db:connect as that role, in the partition, region and account it is given', () => {
    expect(granted(new DatabaseReference(attributes), (r, c) => r.grantConnect(c, 'api_rw'))).toEqual([
      { Sid: 'DatabaseIamAuth', Effect: 'Allow', Action: 'rds-db:connect', Resource: 'arn:aws-cn:rds-db:cn-north-1:111111111111:dbuser:db-ABC/api_rw' },
    ]);
  });

  it('grantReadMasterSecret: the secret alone with the AWS-managed key; plus kms:Decrypt through Secrets Manager with a customer-managed one', () => {
    const secret = { Sid: 'ReadDatabaseMasterSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: attributes.masterUserSecretArn };
    expect(granted(new DatabaseReference(attributes), (r, c) => r.grantReadMasterSecret(c))).toEqual([secret]);
    const keyArn = 'arn:aws-cn:kms:cn-north-1:111111111111:key/k';
    expect(granted(new DatabaseReference({ ...attributes, masterSecretKeyArn: keyArn }), (r, c) => r.grantReadMasterSecret(c))).toEqual([
      secret,
      { Sid: 'DecryptDatabaseMasterSecret', Effect: 'Allow', Action: 'kms:Decrypt', Resource: keyArn, Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } } },
    ]);
  });

  it('exposes what clients configure: address, port, database name, master secret', () => {
    const reference = new DatabaseReference(attributes);
    expect([reference.address, reference.port, reference.databaseName, reference.masterUserSecretArn]).toEqual(['db.example.internal', 5432, 'app', attributes.masterUserSecretArn]);
  });
});

describe('data key (issue 18.7)', () => {
  const json = JSON.parse(synthData('prod'));
  const key = Object.values(json.resource.aws_kms_key)[0] as Record<string, any>;
  const policy = JSON.parse(key.policy);

  it('is rotated and usable only by CloudWatch Logs for the database and cache groups, and by RDS, Secrets Manager and ElastiCache for this account', () => {
    expect(key.enable_key_rotation).toBe(true);
    expect(key.lifecycle).toEqual({ prevent_destroy: true });
    expect((Object.values(JSON.parse(synthData('dev')).resource.aws_kms_key)[0] as any).lifecycle).toEqual({ prevent_destroy: false });
    const logs = policy.Statement.find((s: any) => s.Sid === 'CloudWatchLogsForTheseLogGroups');
    expect(logs.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).toEqual([
      expect.stringMatching(/:log-group:\/aws\/rds\/instance\/.*-prod-postgres\*$/),
      expect.stringMatching(/:log-group:\/aws\/elasticache\/.*-prod-cache\/\*$/),
    ]);
    const via = policy.Statement.find((s: any) => s.Sid === 'ServicesOnBehalfOfThisAccount');
    expect(via.Condition.StringEquals['kms:ViaService']).toEqual([
      'rds.ap-northeast-1.amazonaws.com',
      'secretsmanager.ap-northeast-1.amazonaws.com',
      'elasticache.ap-northeast-1.amazonaws.com',
    ]);
    expect(via.Condition.StringEquals['kms:CallerAccount']).toBeTruthy();
  });

  it('encrypts every database and cache log group, the master secret and the primary\'s storage with it', () => {
    for (const group of Object.values(json.resource.aws_cloudwatch_log_group) as Array<Record<string, any>>) {
      expect(group.kms_key_id).toMatch(/aws_kms_key\.data-key_.*\.arn/);
    }
    const [primary, ...replicas] = instances(JSON.stringify(json));
    expect(primary.master_user_secret_kms_key_id).toMatch(/aws_kms_key\.data-key_.*\.arn/);
    expect(primary.kms_key_id).toMatch(/aws_kms_key\.data-key_.*\.arn/);
    expect(replicas).toHaveLength(1);
    expect(replicas[0].kms_key_id).toBeUndefined(); // inherits the primary's
    expect(json.output.data_kms_key_arn.description).toBeTruthy();
  });

  it('grantReadMasterSecret adds kms:Decrypt through Secrets Manager when the secret has a customer-managed key', () => {
    const statements: Statement[] = [];
    Testing.synthScope((scope) => {
      const database = new Database(scope, 'database', { ...unitProps, masterSecretKmsKeyArn: 'arn:aws:kms:ap-northeast-1:111111111111:key/k' });
      database.grantReadMasterSecret({ addToPolicy: (...added) => void statements.push(...added) });
    });
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: 'arn:aws:kms:ap-northeast-1:111111111111:key/k', Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } } }),
    );
  });
});

describe('one owner per default (issue 16)', () => {
  it('the construct owns slow-query logging, insights, replicas and log retention: config leaves them unset, the JSON has its documented defaults', () => {
    const unset = databaseSchema.parse({});
    expect([unset.slowQueryMs, unset.databaseInsights, unset.readReplicas, unset.logRetentionDays]).toEqual([undefined, undefined, undefined, undefined]);
    const synthesized = Testing.synthScope((scope) => void new Database(scope, 'database', unitProps));
    expect(synthesized).toHaveResourceWithProperties(DbParameterGroup, { parameter: expect.arrayContaining([{ name: 'log_min_duration_statement', value: '500' }]) });
    expect(resourcesIn(synthesized, 'aws_db_instance')).toEqual([expect.objectContaining({ database_insights_mode: 'standard', performance_insights_retention_period: 7 })]);
    for (const group of resourcesIn(synthesized, 'aws_cloudwatch_log_group')) expect(group.retention_in_days).toBe(30);
  });

  it('the config owns standby, deletion protection and final snapshot (production rules check them); the construct takes them as given', () => {
    expect(databaseSchema.parse({})).toEqual(expect.objectContaining({ multiAz: false, deletionProtection: true, skipFinalSnapshot: false }));
    const throwaway = Testing.synthScope((scope) => void new Database(scope, 'database', { ...unitProps, multiAz: true, deletionProtection: false, skipFinalSnapshot: true }));
    const [primary, ...others] = resourcesIn(throwaway, 'aws_db_instance');
    expect(others).toEqual([]);
    expect(primary).toEqual(expect.objectContaining({ multi_az: true, deletion_protection: false, skip_final_snapshot: true }));
    expect(primary.final_snapshot_identifier).toBeUndefined();
  });
});

describe('database.storageEncryption (issue 18.7)', () => {
  it('awsManaged keeps the instance on the AWS-managed aws/rds key (no replacement of an existing database)', () => {
    const [primary] = instances(synthData('prod', { database: { storageEncryption: 'awsManaged' } }));
    expect(primary.storage_encrypted).toBe(true);
    expect(primary.kms_key_id).toBeUndefined();
    expect(primary.master_user_secret_kms_key_id).toMatch(/aws_kms_key\.data-key_.*\.arn/);
  });

  it('defaults to customerKey and refuses other values, naming the field', () => {
    expect(configFor('dev').database.storageEncryption).toBe('customerKey');
    expect(configProblems('dev', { database: { storageEncryption: 'kms' as never } }).join('\n')).toMatch(/dev\.database\.storageEncryption/);
  });

  it('a production database is protected from the replacement a key change plans (prevent_destroy)', () => {
    const [primary] = instances(synthData('prod'));
    expect(primary.lifecycle).toEqual(expect.objectContaining({ prevent_destroy: true }));
  });
});

describe('data stack outputs and rules', () => {
  it('describes every output; none holds a secret value', () => {
    const outputs = JSON.parse(synthData('prod')).output as Record<string, { description?: string; sensitive?: boolean }>;
    for (const [name, output] of Object.entries(outputs)) expect([name, output.description]).toEqual([name, expect.stringMatching(/\w/)]);
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['db_master_secret_arn', 'data_kms_key_arn', 'cache_client_security_group_id']));
  });

  it('every security group rule of the network and data stacks has a description', () => {
    const app = Testing.app();
    const config = configFor('prod');
    const network = new NetworkStack(app, config);
    const data = new DataStack(app, { config, network: network.network });
    for (const stack of [network, data]) {
      const synthesized = Testing.synth(stack);
      const rules = [...resourcesIn(synthesized, 'aws_vpc_security_group_ingress_rule'), ...resourcesIn(synthesized, 'aws_vpc_security_group_egress_rule')];
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) expect(rule.description).toMatch(/\w/);
    }
  });
});
