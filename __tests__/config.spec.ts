import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { environments, project } from '../src/config/environments';
import { ConfigError, loadConfig, optionsFromEnv } from '../src/config/load';
import { AWS_REGIONS } from '../src/config/regions';
import { environmentSetIssues, type NamedEnvironment } from '../src/config/rules';
import { environmentSchema, type EnvironmentInput } from '../src/config/schema';
import { configFor, configProblems, synthOf } from './helpers';

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

  it('the production example pins an account and has a web ACL', () => {
    const prod = loadConfig(project, environments, { only: 'prod' })[0];
    expect(prod.allowedAccountIds).toEqual(['123456789012']);
    expect(prod.edge.wafWebAclArn).toMatch(/^arn:aws:wafv2:ap-northeast-1:123456789012:regional\/webacl\//);
  });
});

describe('the commit being built never reaches synthesized output', () => {
  it('reads only ENVIRONMENTS from the process environment', () => {
    expect(optionsFromEnv({ IMAGE_TAG: '3f9c2ab', GITHUB_SHA: 'a'.repeat(40), CIRCLE_SHA1: 'b'.repeat(40) })).toEqual({ only: undefined });
  });
  // That no stack changes with IMAGE_TAG, GITHUB_SHA or CIRCLE_SHA1 set: see cli.spec.ts, synth (main.ts).
});


describe('regions: those AWS provider 6.25 knows, or an explicit escape hatch', () => {
  it.each([
    ['xx-nowhere-1', 'dev.region: "xx-nowhere-1" is not an AWS region known to provider 6.25 (src/config/regions.ts); for a newer region set allowUnknownRegion: true'],
    ['ap-northeast-9', 'dev.region: "ap-northeast-9" is not an AWS region known to provider 6.25'],
  ])('%s is refused', (region, expected) => {
    expect(configProblems('dev', { region, availabilityZones: [`${region}a`, `${region}c`] })).toEqual([expect.stringContaining(expected)]);
  });

  it.each([['mx-central-1'], ['ap-southeast-7'], ['us-gov-west-1'], ['cn-northwest-1'], ['eu-south-2']])('%s is accepted', (region) => {
    expect(configProblems('dev', { region, availabilityZones: [`${region}a`, `${region}b`] })).toEqual([]);
  });

  it('knows the commercial, GovCloud and China partitions', () => {
    expect(AWS_REGIONS.size).toBe(38);
    expect(AWS_REGIONS.get('us-gov-east-1')).toBe('aws-us-gov');
    expect(AWS_REGIONS.get('cn-north-1')).toBe('aws-cn');
    expect(AWS_REGIONS.get('ap-southeast-6')).toBe('aws');
  });

  it('derives the partition of the loaded config from its region', () => {
    expect(configFor('dev').partition).toBe('aws');
    expect(configFor('dev', { region: 'cn-northwest-1', availabilityZones: ['cn-northwest-1a', 'cn-northwest-1b'] }).partition).toBe('aws-cn');
  });

  it('allowUnknownRegion accepts a region opened after the provider release', () => {
    const config = configFor('dev', { region: 'xx-nowhere-1', availabilityZones: ['xx-nowhere-1a', 'xx-nowhere-1b'], allowUnknownRegion: true });
    expect(config.region).toBe('xx-nowhere-1');
  });
});

describe('no environments', () => {
  it('is an error, not an empty synth', () => {
    expect(() => loadConfig(project, {})).toThrow('environments: none defined: add at least one to src/config/environments.ts');
  });
});

describe('an environment named like production', () => {
  const { production: _, ...prodWithoutFlag } = environments.prod;

  it.each([['prod'], ['production'], ['prd'], ['live'], ['eu-prod'], ['prod-2']])('%s without production: true is refused', (envName) => {
    expect(() => loadConfig(project, { [envName]: { ...environments.staging, state: { bucket: `example-tfstate-${envName}` } } })).toThrow(
      `${envName}.production: is not set, but "${envName}" names a production environment: set production: true (or production: false if it is not one)`,
    );
  });

  it('the shipped prod without the flag is refused', () => {
    expect(() => loadConfig(project, { prod: prodWithoutFlag })).toThrow('prod.production: is not set');
  });

  it.each([['preprod'], ['staging'], ['prodigy']])('%s is not production-like', (envName) => {
    expect(() => loadConfig(project, { [envName]: environments.staging })).not.toThrow();
  });

  it('an explicit production: false loads (and warns, see warnings.spec.ts)', () => {
    expect(loadConfig(project, { live: { ...environments.staging, production: false } })[0].production).toBe(false);
  });
});

describe('production guards', () => {
  it('refuses production without allowedAccountIds', () => {
    expect(configProblems('prod', { allowedAccountIds: undefined })).toEqual([
      'prod.allowedAccountIds: is required in production: Terraform must refuse credentials of any other account',
    ]);
    expect(configProblems('prod', { allowedAccountIds: [] })).toEqual([expect.stringContaining('prod.allowedAccountIds: is required in production')]);
    expect(configProblems('dev', { allowedAccountIds: undefined })).toEqual([]);
  });

  it('pins every prod stack to the account, the locally stated bootstrap stack too', () => {
    for (const stack of ['bootstrap', 'network', 'data', 'app'] as const) {
      expect(synthOf('prod', stack)).toHaveProviderWithProperties(AwsProvider, { allowed_account_ids: ['123456789012'] });
    }
  });

  it('refuses production without a WAF web ACL unless explicitly opted out', () => {
    expect(configProblems('prod', { edge: { wafWebAclArn: undefined } })).toEqual([
      'prod.edge.wafWebAclArn: is required in production (a web ACL from your security tooling; README "WAF"), or set edge.allowProductionWithoutWaf: true',
    ]);
    expect(configProblems('prod', { edge: { wafWebAclArn: undefined, allowProductionWithoutWaf: true } })).toEqual([]);
    expect(configProblems('dev', { edge: { wafWebAclArn: undefined } })).toEqual([]);
  });

  it('refuses an opt-out next to a web ACL', () => {
    expect(configProblems('prod', { edge: { allowProductionWithoutWaf: true } })).toEqual([
      'prod.edge.allowProductionWithoutWaf: cannot be true when edge.wafWebAclArn is set',
    ]);
  });

  const acl = (region: string, account: string, id = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', partition = 'aws') =>
    `arn:${partition}:wafv2:${region}:${account}:regional/webacl/edge-acl/${id}`;
  it.each([
    ['not an ARN', 'arn:aws:s3:::bucket', 'is not a regional WAFv2 web ACL ARN'],
    ['a CloudFront (global) web ACL', 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/edge-acl/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', 'is not a regional WAFv2 web ACL ARN'],
    ['an id that is not a UUID', acl('ap-northeast-1', '123456789012', 'abc'), 'is not a regional WAFv2 web ACL ARN'],
    ['another region', acl('eu-west-1', '123456789012'), `"${acl('eu-west-1', '123456789012')}" is in aws:eu-west-1, not in the environment's region aws:ap-northeast-1`],
    ['another partition', acl('ap-northeast-1', '123456789012', undefined, 'aws-cn'), 'is in aws-cn:ap-northeast-1, not in the environment\'s region aws:ap-northeast-1'],
    ['another account', acl('ap-northeast-1', '210987654321'), 'is in account 210987654321, not in allowedAccountIds'],
  ])('refuses a web ACL ARN that is %s', (_label, arn, expected) => {
    const problems = configProblems('prod', { edge: { wafWebAclArn: arn } });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^prod\.edge\.wafWebAclArn: /);
    expect(problems[0]).toContain(expected);
  });

  it.each([['192.0.2.0/24'], ['198.51.100.0/24'], ['203.0.113.0/24'], ['203.0.113.64/26'], ['192.0.2.7/32']])(
    'refuses the documentation range %s in a production allowed-CIDR list',
    (cidr) => {
      const problems = configProblems('prod', { services: [{ ...environments.prod.services[0], deployment: { strategy: 'blueGreen', blueGreen: { testListenerCidrs: ['10.200.0.0/16', cidr] } } }] });
      expect(problems).toEqual([expect.stringMatching(/^prod\.services\.0\.deployment\.blueGreen\.testListenerCidrs\.1: ".*" is inside the documentation range .*: not allowed in production/)]);
    },
  );

  it('allows documentation ranges outside production (example warnings list them) and real ranges in production', () => {
    const blueGreen = (cidrs: string[]) => ({ strategy: 'blueGreen' as const, blueGreen: { testListenerCidrs: cidrs } });
    expect(configProblems('dev', { services: [{ ...environments.dev.services[0], deployment: blueGreen(['203.0.113.0/24']) }] })).toEqual([]);
    expect(configProblems('prod', { services: [{ ...environments.prod.services[0], deployment: blueGreen(['198.51.99.0/24', '8.8.8.0/24']) }] })).toEqual([]);
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
    ['bad region', 'staging', { region: 'tokyo' }, 'staging.region: "tokyo" is not an AWS region such as "ap-northeast-1"'],
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
    ['engine version with a minor', 'dev', { database: { engineVersion: '17.6' } }, 'dev.database.engineVersion: "17.6": give the major version only ("17")'],
    ['bad engine version', 'dev', { database: { engineVersion: 'seventeen' } }, 'dev.database.engineVersion: "seventeen" is not a PostgreSQL major version such as "17"'],
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

describe('derived values: computed once (src/naming.ts), by the config rules and the stacks alike', () => {
  it('a service without a priority gets 100 x (position + 1): a clash with it is found before synth', () => {
    const services = [
      { name: 'api', loadBalancer: { paths: ['/a/*'] } },
      { name: 'admin', loadBalancer: { paths: ['/b/*'], priority: 100 } },
    ];
    expect(configProblems('dev', { services } as never)).toEqual(['dev.services.1.loadBalancer.priority: 100 is also the priority of services.0']);
    // position 1 would default to 200: taking 200 explicitly while service 0 keeps 100 is fine
    expect(configProblems('dev', { services: [services[0], { ...services[1], loadBalancer: { paths: ['/b/*'], priority: 200 } }] } as never)).toEqual([]);
  });

  it('refuses a service whose longest target group name (<prefix>-<service>-green) exceeds 32 characters', () => {
    expect(configProblems('dev', { services: [{ name: 'a-rather-long-service' }] } as never)).toEqual([
      'dev.services.0.name: "a-rather-long-service" makes the target group name "drf-api-dev-a-rather-long-service-green" longer than AWS\'s 32 characters',
    ]);
    expect(configProblems('dev', { services: [{ name: 'short-name' }] } as never)).toEqual([]);
  });
});

describe('rules across environments (environmentSetIssues)', () => {
  const parsed = (envs: Record<string, EnvironmentInput>): NamedEnvironment[] => Object.entries(envs).map(([name, input]) => ({ name, env: environmentSchema.parse(input) }));

  it('the shipped environments pass once dev and staging pin their accounts as prod does', () => {
    const pinned = { ...environments, dev: { ...environments.dev, allowedAccountIds: ['111111111111'] }, staging: { ...environments.staging, allowedAccountIds: ['111111111111'] } };
    expect(environmentSetIssues('drf-api', parsed(pinned))).toEqual([]);
  });

  it('refuses an environment whose IAM name prefix begins another\'s in a possibly shared account, naming both', () => {
    const envs = { dev: environments.dev, 'dev-eu': environments.dev };
    expect(environmentSetIssues('drf-api', parsed(envs))).toEqual([
      'dev.allowedAccountIds: "drf-api-dev-" (the IAM name prefix dev\'s pipeline roles manage) also begins every name of dev-eu ("drf-api-dev-eu-"), which may be in the same account: rename one environment, or pin both to different accounts',
    ]);
    // prod and prod-2 pin the same account: the same problem.
    expect(environmentSetIssues('drf-api', parsed({ prod: environments.prod, 'prod-2': environments.prod }))).toEqual([expect.stringMatching(/^prod\.allowedAccountIds: "drf-api-prod-" .* prod-2/)]);
  });

  it('accepts such names in different pinned accounts, and names that merely share letters (dev, devel)', () => {
    const apart = { dev: { ...environments.dev, allowedAccountIds: ['111111111111'] }, 'dev-eu': { ...environments.dev, allowedAccountIds: ['222222222222'] } };
    expect(environmentSetIssues('drf-api', parsed(apart))).toEqual([]);
    expect(environmentSetIssues('drf-api', parsed({ dev: environments.dev, devel: environments.dev }))).toEqual([]);
  });

  it('refuses a next environment with accounts whose previous environment (of one of its services) has none, naming both', () => {
    const unpinned = (env: EnvironmentInput): EnvironmentInput => ({ ...env, allowedAccountIds: undefined });
    const envs = { dev: unpinned(environments.dev), staging: { ...environments.staging, allowedAccountIds: ['222222222222'] }, prod: environments.prod };
    expect(environmentSetIssues('drf-api', parsed(envs))).toEqual([
      'staging.allowedAccountIds: set, but dev (the environment staging\'s service "api" is promoted from) sets none: releases would look for dev\'s images in staging\'s account; set dev.allowedAccountIds too',
    ]);
    // prod (pinned) after an unpinned staging: its promotion evidence would be looked for in prod's account.
    expect(environmentSetIssues('drf-api', parsed({ staging: unpinned(environments.staging), prod: environments.prod }))).toEqual([
      expect.stringMatching(/^prod\.allowedAccountIds: set, but staging \(the environment prod's service "api" is promoted from\) sets none/),
    ]);
    // As shipped, every environment names its account.
    expect(environmentSetIssues('drf-api', parsed(environments))).toEqual([]);
  });
});
