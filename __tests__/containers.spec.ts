import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcsCapacityProvider } from '@cdktf/provider-aws/lib/ecs-capacity-provider';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsClusterCapacityProviders } from '@cdktf/provider-aws/lib/ecs-cluster-capacity-providers';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformOutput, TerraformStack, Testing } from 'cdktf';
import type { Construct } from 'constructs';
import { Connections } from '../src/constructs/connections';
import { lifecyclePolicy } from '../src/constructs/container-registry';
import { WebService, type WebServiceProps } from '../src/constructs/web-service';
import { serviceNames } from '../src/naming';
import { isArmInstanceType } from '../src/constructs/ec2-capacity';
import { secretResourceArns } from '../src/lib/grants';
import { environments } from '../src/config/environments';
import type { EnvironmentConfig } from '../src/config/load';
import { DataStack } from '../src/stacks/data-stack';
import { NetworkStack } from '../src/stacks/network-stack';
import { nextEnvironmentOf, promotionReaders } from '../src/stacks/promotion';
import { configFor, configProblems, resourcesIn, stacksFor, synthOf, type Json } from './helpers';

const parsed = (s: string) => JSON.parse(s) as { resource: Record<string, Record<string, Json>>; data: Record<string, Record<string, Json>>; output: Json };
const all = resourcesIn;
const taskDefinitionOf = (s: string, family = /-api$/): Json => all(s, 'aws_ecs_task_definition').find((t) => family.test(t.family))!;
const containerOf = (s: string, family?: RegExp): Json => JSON.parse(taskDefinitionOf(s, family).container_definitions)[0];
/** The inline policy of a role, by the role's construct path (e.g. /task-definition_execution-role/). */
const policyOf = (s: string, role: RegExp, name?: string): Json =>
  JSON.parse(all(s, 'aws_iam_role_policy').find((p) => role.test(p.role) && (name === undefined || p.name === name))!.policy);
const SERVICE_EXECUTION = /service-api_task-definition_execution-role/;
const SERVICE_TASK = /service-api_task-definition_task-role/;

const SECRET = 'arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:drf/django-key-AbCdEf';

describe('registry (data stack)', () => {
  const data = synthOf('prod', 'data');

  it('one repository per service: scan on push, immutable tags, KMS encryption, kept in production', () => {
    expect(data).toHaveResourceWithProperties(EcrRepository, {
      name: 'drf-api-prod/api',
      image_tag_mutability: 'IMMUTABLE',
      image_scanning_configuration: { scan_on_push: true },
      encryption_configuration: [{ encryption_type: 'KMS' }],
      force_delete: false,
      lifecycle: { prevent_destroy: true },
    });
  });

  it('keeps released images first, then the template image, then expires untagged ones by age and the rest by count', () => {
    expect(data).toHaveResource(EcrLifecyclePolicy);
    const rules = JSON.parse(all(data, 'aws_ecr_lifecycle_policy')[0].policy).rules;
    expect(rules).toEqual([
      expect.objectContaining({
        rulePriority: 1,
        selection: { tagStatus: 'tagged', tagPatternList: ['released-*'], countType: 'imageCountMoreThan', countNumber: 50 },
        action: { type: 'expire' },
      }),
      expect.objectContaining({ rulePriority: 2, selection: { tagStatus: 'tagged', tagPatternList: ['baking-*'], countType: 'imageCountMoreThan', countNumber: 10 } }),
      expect.objectContaining({ rulePriority: 3, selection: { tagStatus: 'tagged', tagPatternList: ['v0.1.0'], countType: 'imageCountMoreThan', countNumber: 1 } }),
      expect.objectContaining({ rulePriority: 4, selection: expect.objectContaining({ tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 7 }) }),
      expect.objectContaining({ rulePriority: 5, selection: expect.objectContaining({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 30 }) }),
    ]);
  });

  // ECR: a rule cannot expire an image that matches the tagging requirements of a higher-priority rule,
  // and a tagPatternList selects images carrying all its patterns. A small evaluator of those semantics
  // (count rules, newest first by push time) shows which images the synthesized policy can ever expire.
  type Image = { tags: string[]; pushedDaysAgo: number };
  const matches = (rule: Json, image: Image) =>
    rule.selection.tagStatus === 'any' ||
    (rule.selection.tagStatus === 'untagged' ? image.tags.length === 0 : (rule.selection.tagPatternList as string[]).every((p) => image.tags.some((t) => new RegExp(`^${p.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`).test(t))));
  const expired = (rules: Json[], images: Image[]): Image[] => {
    const claimed = new Set<Image>();
    const out: Image[] = [];
    for (const rule of [...rules].sort((a, b) => a.rulePriority - b.rulePriority)) {
      const selected = images.filter((img) => matches(rule, img)).sort((a, b) => a.pushedDaysAgo - b.pushedDaysAgo);
      const expiring =
        rule.selection.countType === 'imageCountMoreThan' ? selected.slice(rule.selection.countNumber) : selected.filter((img) => img.pushedDaysAgo > rule.selection.countNumber);
      out.push(...expiring.filter((img) => !claimed.has(img)));
      for (const img of selected) claimed.add(img); // lower-priority rules can no longer expire these
    }
    return out;
  };

  it('never expires the running release, the rollback target, a baking image or the template image, however many images CI pushes', () => {
    const rules = JSON.parse(all(data, 'aws_ecr_lifecycle_policy')[0].policy).rules as Json[];
    const template: Image = { tags: ['v0.1.0'], pushedDaysAgo: 400 };
    const rollbackTarget: Image = { tags: ['sha-old', 'released-prod-7'], pushedDaysAgo: 200 };
    const running: Image = { tags: ['sha-new', 'released-prod-8'], pushedDaysAgo: 100 };
    // Green during a blue/green bake: serves production traffic, not yet released.
    const baking: Image = { tags: ['sha-green', 'baking-prod-9'], pushedDaysAgo: 90 };
    const pushes: Image[] = Array.from({ length: 80 }, (_, i) => ({ tags: [`sha-${i}`], pushedDaysAgo: i }));
    const untagged: Image[] = Array.from({ length: 5 }, (_, i) => ({ tags: [], pushedDaysAgo: 30 + i }));
    const gone = expired(rules, [template, rollbackTarget, running, baking, ...pushes, ...untagged]);
    expect(gone).not.toContain(baking);
    expect(gone).not.toContain(running);
    expect(gone).not.toContain(rollbackTarget);
    expect(gone).not.toContain(template);
    expect(gone).toEqual(expect.arrayContaining(untagged));
    expect(gone.length).toBeGreaterThan(40); // the count rule still trims CI's pushes
    // Only released images beyond the newest 50 released ones ever expire.
    const manyReleases: Image[] = Array.from({ length: 60 }, (_, i) => ({ tags: [`released-prod-${100 - i}`], pushedDaysAgo: i }));
    expect(expired(rules, manyReleases)).toEqual(manyReleases.slice(50));
  });

  it('takes the kept counts and pinned tags from props, and refuses keeping fewer than 10 releases', () => {
    const rules = lifecyclePolicy({ keepReleasedImages: 10, pinnedTags: ['v2', 'v2', 'released-prod-1', 'baking-prod-2'], keepImages: 5 }).rules as Json[];
    expect(rules.map((r) => [r.rulePriority, r.selection.tagPatternList ?? r.selection.tagStatus, r.selection.countNumber])).toEqual([
      [1, ['released-*'], 10],
      [2, ['baking-*'], 10],
      [3, ['v2'], 1],
      [4, 'untagged', 7],
      [5, 'any', 5],
    ]);
    expect(() => lifecyclePolicy({ keepReleasedImages: 3 })).toThrow(/keepReleasedImages must be an integer of at least 10, got 3/);
    expect(() => lifecyclePolicy({ pinnedTags: ['v1*'] })).toThrow(/pinned tag "v1\*" is not an image tag/);
  });
});

describe('promotion evidence across accounts (data stack repository policy)', () => {
  const accounts = { dev: '111111111111', staging: '222222222222', prod: '123456789012' };
  const envs = (overrides: Partial<Record<'dev' | 'staging' | 'prod', Record<string, unknown>>> = {}) =>
    (['dev', 'staging', 'prod'] as const).map((name) => configFor(name, { allowedAccountIds: [accounts[name]], ...overrides[name] } as never));
  const dataOf = (environments: EnvironmentConfig[], name: string) => {
    const config = environments.find((env) => env.name === name)!;
    const app = Testing.app();
    const network = new NetworkStack(app, config);
    return Testing.synth(new DataStack(app, { config, network: network.network, environments }));
  };
  const policies = (synthesized: string): Record<string, Json> => Object.fromEntries(all(synthesized, 'aws_ecr_repository_policy').map((p) => [p.repository, JSON.parse(p.policy)]));

  it('lets the next environment\'s release role, in its own account, read the tags of each service\'s repository', () => {
    const staging = policies(dataOf(envs(), 'staging'));
    expect(Object.keys(staging).map((ref) => ref.replace(/^\$\{aws_ecr_repository\.registry_(\w+)_.*$/, '$1')).sort()).toEqual(['api', 'worker']);
    for (const policy of Object.values(staging)) {
      expect(policy.Statement).toEqual([
        {
          Sid: 'PromotionEvidence',
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::123456789012:root' },
          Action: 'ecr:DescribeImages',
          Condition: { ArnEquals: { 'aws:PrincipalArn': 'arn:aws:iam::123456789012:role/pipeline/drf-api-prod-pipeline-release' } },
        },
      ]);
    }
  });

  it('follows the chain of each service: the nearest later environment that has it', () => {
    // dev has only the api; staging promotes it. The worker's chain starts in staging.
    const dev = policies(dataOf(envs(), 'dev'));
    expect(Object.values(dev).map((p) => p.Statement[0].Condition.ArnEquals['aws:PrincipalArn'])).toEqual(['arn:aws:iam::222222222222:role/pipeline/drf-api-staging-pipeline-release']);
    // A service that skips staging: dev's repository is read by prod.
    const skipping = envs({ staging: { services: environments.staging.services!.filter((svc) => svc.name !== 'api'), schedules: [] } });
    expect(nextEnvironmentOf(skipping, skipping[0], 'api')?.name).toBe('prod');
    expect(Object.values(policies(dataOf(skipping, 'dev')))[0].Statement[0].Principal).toEqual({ AWS: 'arn:aws:iam::123456789012:root' });
    expect(nextEnvironmentOf(skipping, skipping[2], 'api')).toBeUndefined();
  });

  it('adds no repository policy where the identity policy is enough: last environment, same account, account unknown', () => {
    expect(policies(dataOf(envs(), 'prod'))).toEqual({});
    expect(policies(dataOf(envs({ staging: { allowedAccountIds: [accounts.prod] } }), 'staging'))).toEqual({});
    expect(policies(dataOf(envs({ staging: { allowedAccountIds: undefined } }), 'staging'))).toEqual({});
    const unknownDev = envs({ dev: { allowedAccountIds: undefined } });
    expect(promotionReaders(unknownDev, unknownDev[0])).toEqual({});
    // The shipped environments: only prod names an account.
    expect(all(synthOf('staging', 'data'), 'aws_ecr_repository_policy')).toEqual([]);
  });

  it('refuses an environment missing from the chain it is given', () => {
    expect(() => nextEnvironmentOf(envs().slice(1), envs()[0], 'api')).toThrow(/dev: not among the environments given for the promotion chain \(staging, prod\)/);
  });
});

describe('cluster', () => {
  const dev = synthOf('dev', 'app');
  const staging = synthOf('staging', 'app');

  it('has Container Insights and audits ECS Exec sessions to a log group', () => {
    expect(dev).toHaveResourceWithProperties(EcsCluster, {
      name: 'drf-api-dev',
      setting: [{ name: 'containerInsights', value: 'enhanced' }],
      configuration: { execute_command_configuration: expect.objectContaining({ logging: 'OVERRIDE' }) },
    });
    expect(dev).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/ecs/drf-api-dev/exec-audit' });
  });

  it('offers Fargate and Fargate Spot, plus EC2 where configured', () => {
    expect(dev).toHaveResourceWithProperties(EcsClusterCapacityProviders, { capacity_providers: ['FARGATE', 'FARGATE_SPOT'] });
    expect(staging).toHaveResourceWithProperties(EcsClusterCapacityProviders, {
      capacity_providers: ['FARGATE', 'FARGATE_SPOT', expect.stringMatching(/aws_ecs_capacity_provider\..*\.name/)],
    });
    expect(all(dev, 'aws_autoscaling_group')).toEqual([]);
  });
});

describe('EC2 capacity (staging, as in the seed)', () => {
  const staging = synthOf('staging', 'app');

  it('uses the ECS-optimized Amazon Linux 2023 AMI from AWS\'s public SSM parameter', () => {
    expect(staging).toHaveDataSourceWithProperties(DataAwsSsmParameter, {
      name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
    });
    expect(staging).toHaveResourceWithProperties(LaunchTemplate, { image_id: expect.stringMatching(/data\.aws_ssm_parameter\..*\.value/) });
    expect(isArmInstanceType('m7g.large')).toBe(true);
    expect(isArmInstanceType('t3.medium')).toBe(false);
    const arm = Testing.synth(stacksFor('staging', { capacity: { ec2: { instanceType: 't4g.medium' } } }).app);
    expect(arm).toHaveDataSourceWithProperties(DataAwsSsmParameter, { name: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id' });
  });

  it('requires IMDSv2 with hop limit 1 in every network mode, and encrypts the root volume', () => {
    expect(staging).toHaveResourceWithProperties(LaunchTemplate, {
      instance_type: 't3.medium',
      // Hop limit 1 in bridge mode too: containers cannot reach the instance role's credentials.
      metadata_options: expect.objectContaining({ http_tokens: 'required', http_put_response_hop_limit: 1 }),
      block_device_mappings: [expect.objectContaining({ ebs: expect.objectContaining({ encrypted: 'true', volume_type: 'gp3' }) })],
    });
    const awsvpc = Testing.synth(stacksFor('staging', { services: [{ name: 'api', capacity: 'ec2', cpu: 512, memory: 1024 }] } as never).app);
    expect(awsvpc).toHaveResourceWithProperties(LaunchTemplate, { metadata_options: expect.objectContaining({ http_put_response_hop_limit: 1 }) });
  });

  it('joins the cluster from user data', () => {
    const [template] = all(staging, 'aws_launch_template');
    expect(template.user_data).toContain('ECS_CLUSTER=drf-api-staging');
  });

  it('has the seed\'s ecsInstanceRole permissions plus SSM core, and no SSH anywhere', () => {
    expect(staging).toHaveResourceWithProperties(IamRolePolicyAttachment, { policy_arn: 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role' });
    expect(staging).toHaveResourceWithProperties(IamRolePolicyAttachment, { policy_arn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore' });
    for (const rule of all(staging, 'aws_vpc_security_group_ingress_rule')) expect(rule.from_port === 22 || rule.to_port === 22).toBe(false);
    expect(all(staging, 'aws_launch_template')[0].key_name).toBeUndefined();
  });

  it('runs an Auto Scaling group over the private app subnets behind a managed capacity provider', () => {
    expect(staging).toHaveResourceWithProperties(AutoscalingGroup, {
      min_size: 1,
      max_size: 4,
      protect_from_scale_in: true,
      vpc_zone_identifier: expect.arrayContaining([expect.stringMatching(/app-ap-northeast-1a/)]),
    });
    expect(staging).toHaveResourceWithProperties(EcsCapacityProvider, {
      auto_scaling_group_provider: expect.objectContaining({
        managed_termination_protection: 'ENABLED',
        managed_scaling: expect.objectContaining({ status: 'ENABLED', target_capacity: 100 }),
      }),
    });
  });

  it('bridge mode: instance target group, the ALB reaches the instances on the dynamic port range', () => {
    expect(staging).toHaveResourceWithProperties(LbTargetGroup, { target_type: 'instance', port: 8000 });
    expect(staging).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, {
      security_group_id: expect.stringMatching(/ec2-capacity_sg/),
      referenced_security_group_id: expect.stringMatching(/load-balancer_sg/),
      from_port: 32768,
      to_port: 65535,
    });
    expect(staging).toHaveResourceWithProperties(EcsService, { ordered_placement_strategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }] });
    expect(containerOf(staging).portMappings).toEqual([{ name: 'http', containerPort: 8000, hostPort: 0, protocol: 'tcp' }]);
    const seedPorts = Testing.synth(stacksFor('staging', { services: [{ name: 'api', capacity: 'ec2', networkMode: 'bridge', cpu: 512, memory: 1024, container: { hostPort: 80 } }] } as never).app);
    expect(containerOf(seedPorts).portMappings[0].hostPort).toBe(80);
  });
  it('two bridge-mode services on dynamic ports share one ALB rule pair on the instances (no duplicate rule, no double move)', () => {
    const bridge = (name: string, path: string) => ({ name, capacity: 'ec2', networkMode: 'bridge', cpu: 512, memory: 1024, loadBalancer: { paths: [path] } });
    const two = Testing.synth(stacksFor('staging', { services: [bridge('api', '/*'), bridge('admin', '/admin/*')], schedules: [] } as never).app);
    const dynamic = all(two, 'aws_vpc_security_group_ingress_rule').filter((r) => r.from_port === 32768 && r.to_port === 65535);
    expect(dynamic).toHaveLength(1);
    expect(all(two, 'aws_lb_target_group').map((t) => t.target_type)).toEqual(['instance', 'instance']);
  });
});

describe('task definition', () => {
  const prod = synthOf('prod', 'app');
  const withSecrets = Testing.synth(
    stacksFor('dev', { services: [{ name: 'api', capacity: 'fargate', container: { secrets: { DJANGO_SECRET_KEY: SECRET, SENTRY_DSN: '/drf/sentry-dsn' } } }] } as never).app,
  );

  it('sizes the task from config and keeps container_definitions literal JSON', () => {
    expect(prod).toHaveResourceWithProperties(EcsTaskDefinition, {
      family: 'drf-api-prod-api',
      cpu: '1024',
      memory: '2048',
      network_mode: 'awsvpc',
      requires_compatibilities: ['FARGATE'],
    });
    expect(typeof taskDefinitionOf(prod).container_definitions).toBe('string');
  });

  it('has hard and soft memory limits, the container port, and the template image from config', () => {
    const container = containerOf(prod);
    expect(container).toEqual(expect.objectContaining({ memory: 2048, memoryReservation: 1536, essential: true }));
    expect(container.portMappings).toEqual([{ name: 'http', containerPort: 8000, hostPort: 8000, protocol: 'tcp' }]);
    expect(container.image).toMatch(/repository_url\}:v0\.1\.0$/);
  });

  it('leaves the running revision to releases: the service ignores task_definition, revisions are kept', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const app = synthOf(env, 'app');
      expect(all(app, 'aws_ecs_service')[0].lifecycle.ignore_changes).toContain('task_definition');
      for (const task of all(app, 'aws_ecs_task_definition')) expect(task.skip_destroy).toBe(true);
    }
  });

  it('depends on nothing but the config: IMAGE_TAG, GITHUB_SHA and CIRCLE_SHA1 change no byte', () => {
    const before = synthOf('prod', 'app');
    const saved = { IMAGE_TAG: process.env.IMAGE_TAG, GITHUB_SHA: process.env.GITHUB_SHA, CIRCLE_SHA1: process.env.CIRCLE_SHA1 };
    Object.assign(process.env, { IMAGE_TAG: '3f9c2ab', GITHUB_SHA: '3f9c2ab', CIRCLE_SHA1: '3f9c2ab' });
    try {
      const { environments, project } = require('../src/config/environments');
      const { loadConfig, optionsFromEnv } = require('../src/config/load');
      const { buildEnvironment } = require('../src/app');
      const [config] = loadConfig(project, environments, { ...optionsFromEnv(process.env), only: 'prod' });
      expect(Testing.synth(buildEnvironment(Testing.app(), config).app)).toEqual(before);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('connects to the database as its own role with IAM authentication: no password, no master secret', () => {
    const container = containerOf(prod);
    expect(container.environment).toEqual(
      expect.arrayContaining([
        { name: 'AWS_REGION', value: 'ap-northeast-1' },
        { name: 'DB_HOST', value: expect.stringMatching(/address/) },
        { name: 'DB_IAM_AUTH', value: 'true' },
        { name: 'DB_NAME', value: 'app' },
        { name: 'DB_PORT', value: '5432' },
        { name: 'DB_USER', value: 'app' },
        { name: 'DJANGO_SETTINGS_MODULE', value: 'config.settings.production' },
      ]),
    );
    expect(container.secrets).toEqual([]);
    expect(JSON.stringify(container)).not.toMatch(/PASSWORD|secret_arn/);
    const task = policyOf(prod, SERVICE_TASK, 'ecs-exec').Statement;
    expect(task).toEqual(
      expect.arrayContaining([
        {
          Sid: 'DatabaseIamAuth',
          Effect: 'Allow',
          Action: 'rds-db:connect',
          Resource: expect.stringMatching(/^arn:aws:rds-db:ap-northeast-1:\$\{data\.aws_caller_identity\..*\.account_id\}:dbuser:\$\{.*resource_?id.*\}\/app$/i),
        },
      ]),
    );
    expect(JSON.stringify(policyOf(prod, SERVICE_EXECUTION))).not.toMatch(/secret_arn/);
    const other = Testing.synth(stacksFor('dev', { services: [{ name: 'api', capacity: 'fargate', databaseUser: 'api_rw' }] } as never).app);
    expect(containerOf(other).environment).toEqual(expect.arrayContaining([{ name: 'DB_USER', value: 'api_rw' }]));
    expect(policyOf(other, SERVICE_TASK, 'ecs-exec').Statement).toEqual(expect.arrayContaining([expect.objectContaining({ Resource: expect.stringMatching(/\/api_rw$/) })]));
  });

  it('adds secrets from config, and the execution role reads exactly those', () => {
    expect(containerOf(withSecrets).secrets).toEqual(
      expect.arrayContaining([
        { name: 'DJANGO_SECRET_KEY', valueFrom: SECRET },
        { name: 'SENTRY_DSN', valueFrom: '/drf/sentry-dsn' },
      ]),
    );
    const statements = policyOf(withSecrets, SERVICE_EXECUTION).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'ReadSecrets', Resource: [SECRET, `${SECRET}-??????`] }),
        expect.objectContaining({ Sid: 'ReadParameters', Action: 'ssm:GetParameters', Resource: [expect.stringMatching(/^arn:aws:ssm:ap-northeast-1:\$\{data\.aws_caller_identity\..*\.account_id\}:parameter\/drf\/sentry-dsn$/)] }),
      ]),
    );
    expect(secretResourceArns(`${SECRET}:password::`)).toEqual([SECRET, `${SECRET}-??????`]);
  });

  it('execution role: pull from this service\'s repository and write its log group only', () => {
    const statements = policyOf(prod, SERVICE_EXECUTION).Statement;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'PullImage', Resource: expect.stringMatching(/aws_ecr_repository\.registry_api.*arn/) }),
        expect.objectContaining({ Sid: 'WriteLogs', Resource: expect.stringMatching(/aws_cloudwatch_log_group\.service-api_task-definition_logs.*\.arn\}:\*$/) }),
      ]),
    );
    const roles = all(prod, 'aws_iam_role').map((r) => r.name);
    expect(roles).toEqual(expect.arrayContaining(['drf-api-prod-api-execution', 'drf-api-prod-api-task']));
    const task = taskDefinitionOf(prod);
    expect(task.execution_role_arn).not.toEqual(task.task_role_arn);
  });

  it('logs with awslogs to a log group with retention', () => {
    expect(prod).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/ecs/drf-api-prod/api', retention_in_days: 90, skip_destroy: true });
    expect(containerOf(prod).logConfiguration).toEqual(
      expect.objectContaining({ logDriver: 'awslogs', options: expect.objectContaining({ 'awslogs-region': 'ap-northeast-1', 'awslogs-stream-prefix': 'api' }) }),
    );
  });

  it('has a read-only root file system with writable scratch for /tmp', () => {
    const container = containerOf(prod);
    expect(container.readonlyRootFilesystem).toBe(true);
    expect(container.mountPoints).toEqual(expect.arrayContaining([{ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false }]));
    expect(taskDefinitionOf(prod).volume).toEqual(expect.arrayContaining([{ name: 'tmp' }]));
  });

  it('runs as a non-root user and drops every Linux capability, in the service and the migrate task', () => {
    for (const family of [/-api$/, /-api-migrate$/]) {
      const container = containerOf(prod, family);
      expect(container.user).toBe('1000:1000');
      expect(container.linuxParameters).toEqual({ initProcessEnabled: true, capabilities: { drop: ['ALL'] } });
      expect(container.readonlyRootFilesystem).toBe(true);
    }
    const custom = Testing.synth(stacksFor('dev', { services: [{ name: 'api', capacity: 'fargate', container: { user: '10001' } }] } as never).app);
    expect(containerOf(custom).user).toBe('10001');
  });

  it('has the container health check when configured (prod: Python, no curl assumed), and none otherwise', () => {
    expect(containerOf(prod).healthCheck).toEqual(
      expect.objectContaining({
        command: ['CMD', 'python', '-c', "import urllib.request; urllib.request.urlopen('http://localhost:8000/health/', timeout=3)"],
        retries: 3,
      }),
    );
    expect(JSON.stringify(containerOf(prod).healthCheck)).not.toContain('curl');
    expect(containerOf(withSecrets).healthCheck).toBeUndefined();
  });
});

describe('migrate task family (release.migrate)', () => {
  const prod = synthOf('prod', 'app');
  const MIGRATE_EXECUTION = /service-api_migrate_execution-role/;

  it('is a family of its own with the same image template, the migrate command, and its own log group', () => {
    expect(prod).toHaveResourceWithProperties(EcsTaskDefinition, {
      family: 'drf-api-prod-api-migrate',
      cpu: '1024',
      memory: '2048',
      network_mode: 'awsvpc',
      requires_compatibilities: ['FARGATE'],
      skip_destroy: true,
    });
    const container = containerOf(prod, /-migrate$/);
    expect(container).toEqual(expect.objectContaining({ name: 'migrate', essential: true, command: ['python', 'manage.py', 'migrate', '--noinput'] }));
    expect(container.image).toEqual(containerOf(prod).image);
    expect(container.logConfiguration.options).toEqual(
      expect.objectContaining({ 'awslogs-group': expect.stringMatching(/migrate_logs/), 'awslogs-stream-prefix': 'migrate' }),
    );
    expect(prod).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/ecs/drf-api-prod/api-migrate', retention_in_days: 90, skip_destroy: true });
  });

  it('has its own roles; its execution role is the only one that reads the master secret', () => {
    const roles = all(prod, 'aws_iam_role').map((r) => r.name);
    expect(roles).toEqual(expect.arrayContaining(['drf-api-prod-api-migrate-execution', 'drf-api-prod-api-migrate-task']));
    const task = taskDefinitionOf(prod, /-migrate$/);
    expect(task.execution_role_arn).toMatch(/migrate_execution-role/);
    expect(task.task_role_arn).toMatch(/migrate_task-role/);
    const readers = all(prod, 'aws_iam_role_policy').filter((p) => p.policy.includes('secret_arn'));
    expect(readers.map((p) => p.role)).toEqual([expect.stringMatching(MIGRATE_EXECUTION)]);
    // Granted by the database (its reference in the app stack), not written here.
    expect(policyOf(prod, MIGRATE_EXECUTION).Statement).toEqual(
      expect.arrayContaining([
        { Sid: 'ReadDatabaseMasterSecret', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: expect.stringMatching(/master_user_secret.*secret_arn/) },
      ]),
    );
    // The secret is encrypted with the data stack's key: ECS can fetch it for the task only with kms:Decrypt.
    expect(policyOf(prod, MIGRATE_EXECUTION).Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'DecryptDatabaseMasterSecret',
          Action: 'kms:Decrypt',
          Resource: expect.stringMatching(/data.*kms|kms.*data/i),
          Condition: { StringLike: { 'kms:ViaService': 'secretsmanager.*.amazonaws.com' } },
        }),
      ]),
    );
    const decrypters = all(prod, 'aws_iam_role_policy').filter((p) => p.policy.includes('DecryptDatabaseMasterSecret'));
    expect(decrypters.map((p) => p.role)).toEqual([expect.stringMatching(MIGRATE_EXECUTION)]);
  });

  it('reads the configured secrets in their own statement, the master secret in the database\'s', () => {
    const app = Testing.synth(
      stacksFor('dev', { services: [{ name: 'api', capacity: 'fargate', container: { secrets: { DJANGO_SECRET_KEY: SECRET } }, release: { migrate: ['python', 'manage.py', 'migrate'] } }] } as never).app,
    );
    const statements = policyOf(app, MIGRATE_EXECUTION).Statement as Array<{ Sid: string; Resource: unknown }>;
    expect(statements.map((st) => st.Sid)).toEqual(['EcrAuth', 'PullImage', 'WriteLogs', 'ReadSecrets', 'ReadDatabaseMasterSecret', 'DecryptDatabaseMasterSecret']);
    expect(statements.find((st) => st.Sid === 'ReadSecrets')!.Resource).toEqual([SECRET, `${SECRET}-??????`]);
  });

  it('gets the master credential from the secret and the app role to create, besides the app settings', () => {
    const container = containerOf(prod, /-migrate$/);
    expect(container.secrets).toEqual([
      { name: 'DB_MASTER_PASSWORD', valueFrom: expect.stringMatching(/secret_arn\}:password::$/) },
      { name: 'DB_MASTER_USER', valueFrom: expect.stringMatching(/secret_arn\}:username::$/) },
    ]);
    expect(container.environment).toEqual(
      expect.arrayContaining([
        { name: 'DB_APP_USER', value: 'app' },
        { name: 'DB_HOST', value: expect.stringMatching(/address/) },
        { name: 'DB_NAME', value: 'app' },
        { name: 'DB_PORT', value: '5432' },
        { name: 'DJANGO_SETTINGS_MODULE', value: 'config.settings.production' },
      ]),
    );
  });

  it('does not exist when release.migrate is not configured', () => {
    const none = Testing.synth(stacksFor('dev', { services: [{ name: 'api', capacity: 'fargate', release: {} }] } as never).app);
    expect(all(none, 'aws_ecs_task_definition').map((t) => t.family)).toEqual(['drf-api-dev-api']);
    expect(all(none, 'aws_iam_role').map((r) => r.name)).not.toContain('drf-api-dev-api-migrate-execution');
    expect(JSON.parse(none).output.run_task.value.services.api.migrate_family).toBeUndefined();
  });
});

describe('release record', () => {
  it('is an SSM String parameter per service, created empty, whose value Terraform never changes', () => {
    const prod = synthOf('prod', 'app');
    expect(prod).toHaveResourceWithProperties(SsmParameter, {
      name: '/drf-api/prod/releases/api',
      type: 'String',
      value: '{"current":null,"previous":null}',
      lifecycle: { ignore_changes: ['value', 'insecure_value'] },
    });
    expect(JSON.parse(prod).output.run_task.value.services.api).toEqual(expect.objectContaining({ release_record: expect.stringMatching(/ssm_parameter/) }));
  });
});

describe('service', () => {
  const dev = synthOf('dev', 'app');

  it('rolls with the configured percentages and a circuit breaker that rolls back', () => {
    expect(dev).toHaveResourceWithProperties(EcsService, {
      name: 'api',
      desired_count: 1,
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      deployment_circuit_breaker: { enable: true, rollback: true },
      deployment_controller: { type: 'ECS' },
      health_check_grace_period_seconds: 60,
      enable_execute_command: true,
      capacity_provider_strategy: [{ capacity_provider: 'FARGATE_SPOT', weight: 1 }],
    });
  });

  it('runs in the private app subnets with no public IP, with its own and the database clients\' groups', () => {
    expect(dev).toHaveResourceWithProperties(EcsService, {
      network_configuration: {
        assign_public_ip: false,
        subnets: expect.arrayContaining([expect.stringMatching(/app-ap-northeast-1a/)]),
        security_groups: expect.arrayContaining([expect.stringMatching(/service-api_sg/), expect.stringMatching(/database_client-sg/)]),
      },
    });
  });

  it('is attached to its target group, and its group admits only the ALB on the container port', () => {
    expect(dev).toHaveResourceWithProperties(EcsService, {
      load_balancer: [{ target_group_arn: expect.stringMatching(/aws_lb_target_group\.service-api_tg-tg/), container_name: 'api', container_port: 8000 }],
    });
    const ingress = all(dev, 'aws_vpc_security_group_ingress_rule').filter((r) => String(r.security_group_id).includes('service-api_sg'));
    expect(ingress).toEqual([expect.objectContaining({ from_port: 8000, to_port: 8000, referenced_security_group_id: expect.stringMatching(/load-balancer_sg/) })]);
    expect(ingress[0].cidr_ipv4).toBeUndefined();
  });

  it('scales on CPU and memory between min and max, and leaves the desired count to the autoscaler', () => {
    expect(dev).toHaveResourceWithProperties(AppautoscalingTarget, { min_capacity: 1, max_capacity: 2, resource_id: expect.stringMatching(/^service\/.*\/\$\{aws_ecs_service/) });
    for (const metric of ['ECSServiceAverageCPUUtilization', 'ECSServiceAverageMemoryUtilization']) {
      expect(dev).toHaveResourceWithProperties(AppautoscalingPolicy, {
        policy_type: 'TargetTrackingScaling',
        target_tracking_scaling_policy_configuration: expect.objectContaining({ predefined_metric_specification: expect.objectContaining({ predefined_metric_type: metric }) }),
      });
    }
    expect(all(dev, 'aws_ecs_service')[0].lifecycle).toEqual({ ignore_changes: ['desired_count', 'task_definition'] });
  });

  it('scales on ALB requests per target when configured', () => {
    const staging = synthOf('staging', 'app');
    expect(staging).toHaveResourceWithProperties(AppautoscalingPolicy, {
      target_tracking_scaling_policy_configuration: expect.objectContaining({
        target_value: 500,
        predefined_metric_specification: { predefined_metric_type: 'ALBRequestCountPerTarget', resource_label: expect.stringMatching(/arn_suffix\}\/\$\{aws_lb_target_group.*arn_suffix\}$/) },
      }),
    });
    expect(all(dev, 'aws_appautoscaling_policy')).toHaveLength(2);
  });

  it('outputs what a one-off task needs (cluster, family, subnets, security group)', () => {
    const runTask = parsed(dev).output.run_task.value;
    expect(runTask.cluster).toMatch(/capacity_providers|cluster_name/);
    expect(runTask.subnets).toHaveLength(2);
    expect(runTask.services.api).toEqual({
      task_family: 'drf-api-dev-api',
      migrate_family: 'drf-api-dev-api-migrate',
      security_group: expect.stringMatching(/service-api_sg/),
      log_group: expect.stringMatching(/logs/),
      release_record: expect.stringMatching(/ssm_parameter/),
    });
  });
});

describe('container config errors', () => {
  const svc = (overrides: Record<string, unknown>) => ({ services: [{ name: 'api', ...overrides }] }) as never;
  const cases: Array<[string, string, never, string]> = [
    ['invalid Fargate cpu/memory pair', 'prod', svc({ cpu: 256, memory: 4096 }), 'prod.services.0.memory: 4096 MiB is not valid with cpu 256 on Fargate (512-2048'],
    ['cpu that Fargate does not offer', 'prod', svc({ cpu: 300 }), 'prod.services.0.cpu: 300 is not a Fargate CPU size'],
    ['memoryReservation above memory', 'prod', svc({ cpu: 512, memory: 1024, container: { memory: 512, memoryReservation: 768 } }), 'prod.services.0.container.memoryReservation: 768 exceeds the hard limit container.memory (512)'],
    ['container memory above the task', 'prod', svc({ cpu: 512, memory: 1024, container: { memory: 2048 } }), 'prod.services.0.container.memory: 2048 exceeds the task memory (1024)'],
    ['port out of range', 'prod', svc({ container: { port: 70000 } }), 'prod.services.0.container.port: 70000 is above the maximum 65535'],
    ['min above max', 'prod', svc({ autoscaling: { minCount: 5, maxCount: 2 } }), 'prod.services.0.autoscaling.minCount: 5 is above maxCount (2)'],
    ['desired outside [min, max]', 'prod', svc({ desiredCount: 9, autoscaling: { minCount: 1, maxCount: 4 } }), 'prod.services.0.desiredCount: 9 is outside autoscaling [1, 4]'],
    ['EC2 capacity without an instance type', 'dev', { capacity: { ec2: { minSize: 1 } } } as never, 'dev.capacity.ec2.instanceType: is required'],
    ['an EC2 service without EC2 capacity', 'dev', svc({ capacity: 'ec2' }), 'dev.services.0.capacity: "ec2" needs capacity.ec2 with an instanceType'],
    ['bridge on Fargate', 'dev', svc({ networkMode: 'bridge' }), 'dev.services.0.networkMode: "bridge" needs capacity "ec2"'],
    ['a secret that is not an ARN or parameter name', 'dev', svc({ container: { secrets: { KEY: 'my-secret' } } }), 'dev.services.0.container.secrets.KEY: "my-secret" is not a Secrets Manager secret ARN'],
    ['Fargate Spot in production', 'prod', svc({ capacity: 'fargateSpot' }), 'prod.services.0.capacity: "fargateSpot" can be interrupted at any time'],
    ['no services', 'dev', { services: [] } as never, 'dev.services: 0 given; at least 1 required'],
    ['duplicate service names', 'dev', { services: [{ name: 'api', loadBalancer: { paths: ['/a/*'] } }, { name: 'api', loadBalancer: { paths: ['/b/*'] } }] } as never, 'dev.services.1.name: "api" is used by another service'],
    ['EC2 min size above max size', 'staging', { capacity: { ec2: { instanceType: 't3.medium', minSize: 5, maxSize: 2 } } } as never, 'staging.capacity.ec2.minSize: 5 is above maxSize (2)'],
    ['a host port outside bridge mode', 'dev', svc({ container: { hostPort: 80 } }), 'dev.services.0.container.hostPort: only applies with networkMode "bridge"'],
    ['two services with one rule priority', 'dev', { services: [{ name: 'api', loadBalancer: { paths: ['/a/*'], priority: 5 } }, { name: 'admin', loadBalancer: { paths: ['/b/*'], priority: 5 } }] } as never, 'dev.services.1.loadBalancer.priority: 5 is also the priority of services.0'],
    ['a name too long for AWS', 'dev', svc({ name: 'a-very-long-service-name' }), 'dev.services.0.name: "a-very-long-service-name" makes the target group name'],
    ['a container running as root', 'dev', svc({ container: { user: '0:0' } }), 'dev.services.0.container.user: must not be root (uid 0)'],
    ['a user name instead of a numeric id', 'dev', svc({ container: { user: 'www-data' } }), 'dev.services.0.container.user: "www-data" is not a numeric user "uid" or "uid:gid"'],
    ['a health check without CMD or CMD-SHELL', 'dev', svc({ container: { healthCheck: { command: ['curl', '-f', 'http://localhost/'] } } }), 'dev.services.0.container.healthCheck.command: must start with "CMD" or "CMD-SHELL"'],
    ['the app connecting as the master user', 'dev', svc({ databaseUser: 'app_admin' }), 'dev.services.0.databaseUser: "app_admin" is the master user'],
    ['an empty migrate command', 'dev', svc({ release: { migrate: [] } }), 'dev.services.0.release.migrate: 0 given; at least 1 required'],
  ];
  it.each(cases)('%s', (_label, env, overrides, expected) => {
    expect(configProblems(env, overrides)).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
  });
});

describe('WebService from its Props alone (no config)', () => {
  const props = (scope: Construct, network: 'awsvpc' | 'bridge'): WebServiceProps => {
    const alb = new Connections(scope, { securityGroupId: 'sg-alb', key: 'alb' });
    return {
      taskDefinition: {
        names: serviceNames('drf-api', 'dev', 'api'),
        region: 'ap-northeast-1',
        accountId: '111122223333',
        partition: 'aws',
        image: 'repo:v1',
        repositoryArn: 'arn:aws:ecr:ap-northeast-1:111122223333:repository/drf-api-dev/api',
        cpu: 256,
        memory: 512,
        container: { port: 8000, user: '1000:1000' },
        logRetentionDays: 30,
      },
      network:
        network === 'awsvpc'
          ? { kind: 'awsvpc', capacity: { kind: 'fargate', spot: false }, vpcId: 'vpc-1', subnetIds: ['subnet-a'], egress: { kind: 'internet' } }
          : { kind: 'bridge', vpcId: 'vpc-1', capacityProviderName: 'ec2-cp', instanceConnections: new Connections(scope, { securityGroupId: 'sg-hosts', key: 'hosts' }), hostPort: 0 },
      clusterName: 'drf-api-dev',
      loadBalancer: { arnSuffix: 'app/lb/1', connections: alb, productionListenerArn: 'arn:listener' },
      routing: { priority: 100 },
      targetGroup: {
        name: (suffix) => `drf-api-dev-api-${suffix}`,
        deregistrationDelaySeconds: 30,
        healthCheck: { path: '/health/', matcher: '200', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 3, unhealthyThreshold: 3 },
      },
      desiredCount: 2,
      deployment: { kind: 'rolling', minimumHealthyPercent: 100, maximumPercent: 200 },
      healthCheckGracePeriodSeconds: 60,
      scaling: { minCount: 2, maxCount: 4, cpuTargetPercent: 60, memoryTargetPercent: 75 },
    };
  };

  it('bridge on EC2 with dynamic host ports: the instances\' group admits the ALB on 32768-65535, the ALB\'s egress under its owner', () => {
    const s = Testing.synthScope((scope) => {
      new WebService(scope, 'api', props(scope, 'bridge'));
    });
    expect(s).toHaveResourceWithProperties(VpcSecurityGroupIngressRule, { security_group_id: 'sg-hosts', referenced_security_group_id: 'sg-alb', from_port: 32768, to_port: 65535 });
    expect(s).toHaveResourceWithProperties(LbTargetGroup, { target_type: 'instance', vpc_id: 'vpc-1', name: 'drf-api-dev-api-tg' });
    expect(resourcesIn(s, 'aws_ecs_task_definition')[0]).toEqual(expect.objectContaining({ network_mode: 'bridge', requires_compatibilities: ['EC2'] }));
    expect(resourcesIn(s, 'aws_security_group')).toEqual([]);
    // ECS Exec not given: off.
    expect(resourcesIn(s, 'aws_ecs_service')[0].enable_execute_command).toBe(false);
  });

  it('exposes its roles and takes more task-role statements (no reaching into its children)', () => {
    const s = Testing.synthScope((scope) => {
      const svc = new WebService(scope, 'api', props(scope, 'awsvpc'));
      svc.addToTaskRolePolicy({ Sid: 'ReadBucket', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' });
      new TerraformOutput(scope, 'task_role', { value: svc.taskRoleArn });
      new TerraformOutput(scope, 'execution_role', { value: svc.executionRoleArn });
    });
    expect(JSON.parse(s).output.task_role.value).toMatch(/aws_iam_role\.api_task-definition_task-role_.*\.arn/);
    expect(JSON.parse(s).output.execution_role.value).toMatch(/aws_iam_role\.api_task-definition_execution-role_.*\.arn/);
    const policy = JSON.parse(resourcesIn(s, 'aws_iam_role_policy').find((p) => p.name === 'ecs-exec')!.policy);
    expect(policy.Statement).toEqual([{ Sid: 'ReadBucket', Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }]);
    const execution = JSON.parse(resourcesIn(s, 'aws_iam_role_policy').find((p) => p.name === 'pull-log-read-secrets')!.policy);
    // From the owners' grants: the registry's pull, the log group's write.
    expect(execution.Statement.map((x: { Sid: string }) => x.Sid)).toEqual(['EcrAuth', 'PullImage', 'WriteLogs']);
  });

  it('refuses at synth a task role policy left without any statement (no ECS Exec, no database, no grant)', () => {
    const stack = new TerraformStack(Testing.app(), 'unit');
    new AwsProvider(stack, 'aws', { region: 'ap-northeast-1' });
    new WebService(stack, 'api', props(stack, 'awsvpc'));
    expect(() => Testing.synth(stack, true)).toThrow(/inline policy ecs-exec has no statement/);
    const granted = new TerraformStack(Testing.app(), 'unit');
    new AwsProvider(granted, 'aws', { region: 'ap-northeast-1' });
    new WebService(granted, 'api', props(granted, 'awsvpc')).addToTaskRolePolicy({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' });
    expect(() => Testing.synth(granted, true)).not.toThrow();
  });
});
