import { environments, project } from '../src/config/environments';
import { ConfigError, loadConfig } from '../src/config/load';
import { configFor, configProblems } from './helpers';

describe('the shipped environments', () => {
  it('all load, and differ where real teams differ', () => {
    const [dev, staging, prod] = loadConfig(project, environments);
    expect([dev.name, staging.name, prod.name]).toEqual(['dev', 'staging', 'prod']);
    expect(prod.production).toBe(true);
    expect(prod.network.natGateways).toBe('perAz');
    expect(dev.network.natGateways).toBe('single');
    expect(prod.database.multiAz).toBe(true);
    expect(dev.database.multiAz).toBe(false);
    expect(prod.database.deletionProtection).toBe(true);
    expect(dev.database.skipFinalSnapshot).toBe(true);
    expect(dev.availabilityZones).toHaveLength(2);
    expect(prod.availabilityZones).toHaveLength(3);
  });

  it('ENVIRONMENTS selects environments', () => {
    expect(loadConfig(project, environments, { only: 'prod' }).map((c) => c.name)).toEqual(['prod']);
  });

  it('IMAGE_TAG overrides every environment\'s image tag', () => {
    const configs = loadConfig(project, environments, { imageTag: '3f9c2ab' });
    expect(configs.map((c) => c.imageTag)).toEqual(['3f9c2ab', '3f9c2ab', '3f9c2ab']);
  });
});

describe('bad input: one line per problem, naming environment and field', () => {
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ['invalid VPC CIDR', 'prod', { network: { vpcCidr: '10.0.0.0/33' } }, 'prod.network.vpcCidr: "10.0.0.0/33" is not a valid IPv4 CIDR'],
    ['CIDR with host bits', 'dev', { network: { vpcCidr: '10.0.0.1/16' } }, 'dev.network.vpcCidr: "10.0.0.1/16" has host bits set (use the network address)'],
    ['public VPC CIDR', 'dev', { network: { vpcCidr: '8.8.0.0/16' } }, 'dev.network.vpcCidr: "8.8.0.0/16" is not in a private range'],
    ['VPC too small for the tiers', 'prod', { network: { vpcCidr: '10.0.0.0/24' } }, 'prod.network.vpcCidr: "10.0.0.0/24" is too small for 3 tiers x 3 AZs; use /21 or larger'],
    ['VPC larger than AWS allows', 'dev', { network: { vpcCidr: '10.0.0.0/8' } }, 'dev.network.vpcCidr: "10.0.0.0/8": AWS allows VPC sizes /16 to /28'],
    ['fewer than 2 AZs', 'dev', { availabilityZones: ['ap-northeast-1a'] }, 'dev.availabilityZones: 1 given; at least 2 are required'],
    ['AZ outside the region', 'dev', { availabilityZones: ['ap-northeast-1a', 'us-east-1a'] }, 'dev.availabilityZones.1: "us-east-1a" is not an availability zone of ap-northeast-1'],
    ['duplicate AZs', 'dev', { availabilityZones: ['ap-northeast-1a', 'ap-northeast-1a'] }, 'dev.availabilityZones.1: "ap-northeast-1a" is listed twice'],
    ['bad region', 'staging', { region: 'tokyo' }, 'staging.region: "tokyo" is not an AWS region'],
    ['unknown NAT mode', 'dev', { network: { natGateways: 'double' } }, 'dev.network.natGateways: "double" is not one of "none", "single", "perAz"'],
    ['unknown field (a typo)', 'dev', { network: { natGateway: 'single' } }, 'dev.network.natGateway: unknown field'],
    ['wrong type', 'dev', { network: { interfaceEndpoints: 'yes' } }, 'dev.network.interfaceEndpoints: "yes" is not a boolean'],
    ['image tag latest', 'prod', { imageTag: 'latest' }, 'prod.imageTag: "latest" is not allowed'],
    ['empty image tag', 'prod', { imageTag: '' }, 'prod.imageTag: "" is not a valid image tag'],
    ['bad state bucket', 'dev', { state: { bucket: 'Bad_Bucket' } }, 'dev.state.bucket: "Bad_Bucket" is not a valid S3 bucket name'],
    ['bad account id', 'dev', { allowedAccountIds: ['1234'] }, 'dev.allowedAccountIds.0: "1234" is not a 12-digit AWS account id'],
    ['explicit subnet outside the VPC', 'dev', {
      network: { vpcCidr: '10.10.0.0/16', subnets: { public: ['10.10.0.0/24', '10.99.0.0/24'], app: ['10.10.16.0/20', '10.10.32.0/20'], data: ['10.10.1.0/24', '10.10.2.0/24'] } },
    }, 'dev.network.subnets.public.1: "10.99.0.0/24" is outside the VPC 10.10.0.0/16'],
    ['explicit subnets overlapping', 'dev', {
      network: { vpcCidr: '10.10.0.0/16', subnets: { public: ['10.10.0.0/24', '10.10.1.0/24'], app: ['10.10.16.0/20', '10.10.32.0/20'], data: ['10.10.0.128/27', '10.10.2.0/24'] } },
    }, 'dev.network.subnets.data.0: "10.10.0.128/27" overlaps network.subnets.public.0 (10.10.0.0/24)'],
    ['explicit subnet too small for its tier', 'dev', {
      network: { vpcCidr: '10.10.0.0/16', subnets: { public: ['10.10.0.0/24', '10.10.1.0/24'], app: ['10.10.16.0/26', '10.10.32.0/20'], data: ['10.10.3.0/24', '10.10.2.0/24'] } },
    }, 'dev.network.subnets.app.0: "10.10.16.0/26" has 64 addresses; the app tier needs /24 or larger'],
    ['explicit subnets for the wrong number of AZs', 'dev', {
      network: { vpcCidr: '10.10.0.0/16', subnets: { public: ['10.10.0.0/24', '10.10.1.0/24', '10.10.4.0/24'], app: ['10.10.16.0/20', '10.10.32.0/20'], data: ['10.10.3.0/24', '10.10.2.0/24'] } },
    }, 'dev.network.subnets.public: 3 CIDRs for 2 availability zones'],
    ['bad engine version', 'dev', { database: { engineVersion: '17' } }, 'dev.database.engineVersion: "17" is not a PostgreSQL version of the form "17.6"'],
    ['storage below the engine minimum', 'dev', { database: { allocatedStorageGiB: 10 } }, 'dev.database.allocatedStorageGiB: 10 is below the minimum 20'],
    ['max storage below allocated', 'dev', { database: { allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 } }, 'dev.database.maxAllocatedStorageGiB: 50 is below allocatedStorageGiB (100)'],
    ['backup retention outside 0-35', 'dev', { database: { backupRetentionDays: 36 } }, 'dev.database.backupRetentionDays: 36 is above the maximum 35'],
    ['prod without deletion protection', 'prod', { database: { deletionProtection: false } }, 'prod.database.deletionProtection: must be true in production'],
    ['prod skipping the final snapshot', 'prod', { database: { skipFinalSnapshot: true } }, 'prod.database.skipFinalSnapshot: must be false in production'],
    ['prod with short backups', 'prod', { database: { backupRetentionDays: 3 } }, 'prod.database.backupRetentionDays: 3 is below the production minimum of 7 days'],
    ['more AZs than subnet slots', 'dev', { availabilityZones: ['ap-northeast-1a', 'ap-northeast-1b', 'ap-northeast-1c', 'ap-northeast-1d', 'ap-northeast-1e'] }, 'dev.availabilityZones: 5 given; at most 4 are supported'],
    ['read replicas without backups', 'dev', { database: { readReplicas: 1, backupRetentionDays: 0 } }, 'dev.database.backupRetentionDays: must be at least 1 when read replicas are configured'],
    ['bad database name', 'dev', { database: { databaseName: 'My-DB' } }, 'dev.database.databaseName: "My-DB" is not a valid PostgreSQL database name'],
  ];

  it.each(cases)('%s', (_label, env, overrides, expected) => {
    const problems = configProblems(env, overrides);
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });

  it('reports every problem at once, not only the first', () => {
    const problems = configProblems('dev', { region: 'tokyo', imageTag: 'latest' });
    expect(problems).toHaveLength(2);
  });

  it('prod may drop deletion protection only when the override says so', () => {
    const config = configFor('prod', { database: { deletionProtection: false, allowProductionWithoutDeletionProtection: true } });
    expect(config.database.deletionProtection).toBe(false);
  });

  it('an unknown environment in ENVIRONMENTS', () => {
    expect(() => loadConfig(project, environments, { only: 'qa' })).toThrow('ENVIRONMENTS: "qa" is not a defined environment (dev, staging, prod)');
  });

  it('an invalid IMAGE_TAG', () => {
    expect(() => loadConfig(project, environments, { imageTag: 'latest' })).toThrow('IMAGE_TAG: "latest" is not allowed');
  });

  it('an invalid environment name', () => {
    expect(() => loadConfig(project, { Prod_1: environments.prod })).toThrow('environments: "Prod_1" is not a valid name');
  });

  it('two environments sharing a state bucket', () => {
    expect(() => loadConfig(project, { dev: environments.dev, qa: environments.dev })).toThrow(
      'qa.state.bucket: "example-drf-api-tfstate-dev" is already the state bucket of dev',
    );
  });

  it('a bad project name', () => {
    expect(() => loadConfig({ ...project, service: '' }, environments)).toThrow(ConfigError);
  });
});
