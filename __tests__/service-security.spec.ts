// Issue 18 for the app stack's services: ECS Exec as an environment decision, the app's KMS key,
// confused-deputy conditions on every service trust policy, egress per service. Issue 16: the
// service constructs own their Props and the ALB's group owner holds its egress rules.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { Testing } from 'cdktf';
import { terraformAddress } from '../src/lib/moved';
import { configWarnings } from '../src/config/warnings';
import { configFor, configProblems, resourcesIn, stacksFor, synthOf, type Json, type Overrides } from './helpers';

const dev = synthOf('dev', 'app');
const prod = synthOf('prod', 'app');
const policyOf = (s: string, role: RegExp, name: string): Json =>
  JSON.parse(resourcesIn(s, 'aws_iam_role_policy').find((p) => role.test(p.role) && p.name === name)!.policy);
const API_TASK = /service-api_task-definition_task-role/;
const KEY = /\$\{aws_kms_key\.key_[0-9A-F]+\.arn\}/;

describe('ECS Exec, a decision per environment', () => {
  it('is on in dev: sessions and the audit log under the app key, the service accepts execute-command', () => {
    expect(resourcesIn(dev, 'aws_ecs_service').every((s) => s.enable_execute_command === true)).toBe(true);
    expect(dev).toHaveResourceWithProperties(EcsCluster, {
      configuration: {
        execute_command_configuration: expect.objectContaining({
          kms_key_id: expect.stringMatching(KEY),
          log_configuration: expect.objectContaining({ cloud_watch_encryption_enabled: true }),
        }),
      },
    });
    expect(dev).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/ecs/drf-api-dev/exec-audit', kms_key_id: expect.stringMatching(KEY) });
  });

  it('the task role may only create streams and put events in the audit group, decrypt with the key, and describe no group outside the account', () => {
    const statements = policyOf(dev, API_TASK, 'ecs-exec').Statement as Json[];
    const audit = statements.find((s) => s.Sid === 'EcsExecAudit')!;
    expect(audit.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    expect(audit.Resource).toMatch(/cluster_exec-audit.*\.arn\}:\*$/);
    expect(statements.find((s) => s.Sid === 'EcsExecSessionKey')).toEqual({ Sid: 'EcsExecSessionKey', Effect: 'Allow', Action: 'kms:Decrypt', Resource: expect.stringMatching(KEY) });
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => /Delete|logs:\*/.test(a))).toEqual([]);
    for (const s of statements.filter((s) => [s.Action].flat().includes('logs:DescribeLogGroups'))) expect(s.Resource).not.toBe('*');
  });

  it('is off in production unless the config turns it on (an incident, warned on every synth), and off in dev when the config says so', () => {
    expect(resourcesIn(prod, 'aws_ecs_service').map((s) => s.enable_execute_command)).toEqual(resourcesIn(prod, 'aws_ecs_service').map(() => false));
    const sids = (policyOf(prod, API_TASK, 'ecs-exec').Statement as Json[]).map((s) => s.Sid);
    expect(sids).toEqual(['DatabaseIamAuth']);
    const incident = Testing.synth(stacksFor('prod', { ecsExec: true } as Overrides).app);
    expect(resourcesIn(incident, 'aws_ecs_service').every((s) => s.enable_execute_command === true)).toBe(true);
    expect((policyOf(incident, API_TASK, 'ecs-exec').Statement as Json[]).map((s) => s.Sid)).toContain('EcsExec');
    expect(configWarnings([configFor('prod', { ecsExec: true } as Overrides)], { examples: false })).toEqual([
      'warning: prod.ecsExec: is true: tasks in production accept ECS Exec shells; remove it (off) once the incident is over and force a new deployment',
    ]);
    expect(configWarnings([configFor('dev', { ecsExec: true } as Overrides)], { examples: false })).toEqual([]);
    const devOff = Testing.synth(stacksFor('dev', { ecsExec: false } as Overrides).app);
    expect(resourcesIn(devOff, 'aws_ecs_service').every((s) => s.enable_execute_command === false)).toBe(true);
  });
});

describe('the app stack\'s customer-managed key', () => {
  const key = resourcesIn(prod, 'aws_kms_key')[0];
  const statements = JSON.parse(key.policy).Statement as Json[];

  it('rotates, is kept in production and has an alias', () => {
    expect(prod).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: true } });
    expect(resourcesIn(prod, 'aws_kms_alias')[0].name).toBe('alias/drf-api-prod-app');
  });

  it('lets CloudWatch Logs use it for this environment\'s /ecs groups only, and CloudWatch alarms publish to the topic', () => {
    expect(statements.find((s) => s.Principal?.Service === 'logs.ap-northeast-1.amazonaws.com')?.Condition).toEqual({
      ArnLike: { 'kms:EncryptionContext:aws:logs:arn': [expect.stringMatching(/^arn:aws:logs:ap-northeast-1:\$\{data\.aws_caller_identity\..*\}:log-group:\/ecs\/drf-api-prod\/\*$/)] },
    });
    const alarms = statements.find((s) => s.Principal?.Service === 'cloudwatch.amazonaws.com')!;
    expect(alarms.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(alarms.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': expect.stringContaining('aws_caller_identity') } });
    expect(statements.find((s) => s.Principal?.AWS)?.Principal.AWS).toMatch(/^arn:aws:iam::\$\{data\.aws_caller_identity\..*\}:root$/);
  });

  it('encrypts every log group of the app stack and the alarm topic', () => {
    const groups = resourcesIn(prod, 'aws_cloudwatch_log_group');
    expect(groups.length).toBeGreaterThanOrEqual(4);
    for (const group of groups) expect([group.name, group.kms_key_id]).toEqual([group.name, expect.stringMatching(KEY)]);
    expect(prod).toHaveResourceWithProperties(SnsTopic, { name: 'drf-api-prod-alarms', kms_master_key_id: expect.stringMatching(KEY) });
  });
});

describe('confused-deputy conditions', () => {
  it('every service trust policy of the app stack names this account (aws:SourceAccount) and its resources (aws:SourceArn)', () => {
    for (const s of [dev, prod]) {
      const roles = resourcesIn(s, 'aws_iam_role').map((r) => ({ name: r.name, trust: JSON.parse(r.assume_role_policy).Statement as Json[] }));
      const serviceTrust = roles.flatMap((r) => r.trust.filter((t) => t.Principal?.Service && t.Principal.Service !== 'ec2.amazonaws.com').map((t) => ({ role: r.name, t })));
      expect(serviceTrust.length).toBeGreaterThanOrEqual(4);
      for (const { role, t } of serviceTrust) {
        expect([role, t.Condition?.StringEquals?.['aws:SourceAccount']]).toEqual([role, expect.stringContaining('aws_caller_identity')]);
        const sourceArn = t.Condition?.ArnLike?.['aws:SourceArn'] ?? t.Condition?.ArnEquals?.['aws:SourceArn'];
        expect([role, sourceArn]).toEqual([role, expect.stringMatching(/^arn:aws:[a-z]+:ap-northeast-1:\$\{data\.aws_caller_identity\..*\}:/)]);
      }
    }
  });
});

describe('egress per service', () => {
  const egressOf = (s: string, group: RegExp) => resourcesIn(s, 'aws_vpc_security_group_egress_rule').filter((r) => group.test(r.security_group_id));

  it('defaults to vpcOnly where the environment has interface endpoints (prod): 443 to the VPC range and the S3 prefix list', () => {
    const api = egressOf(prod, /aws_security_group\.service-api_sg/);
    expect(api).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ cidr_ipv4: expect.stringMatching(/^10\.30\.0\.0\/16$|vpc/), from_port: 443, to_port: 443 }),
        expect.objectContaining({ prefix_list_id: expect.stringMatching(/data\.aws_ec2_managed_prefix_list\.s3-prefix-list\.id/), from_port: 443 }),
      ]),
    );
    expect(api).toHaveLength(2);
    expect(JSON.parse(prod).data.aws_ec2_managed_prefix_list['s3-prefix-list'].name).toBe('com.amazonaws.ap-northeast-1.s3');
    expect(egressOf(prod, /worker/).some((r) => r.cidr_ipv4 === '0.0.0.0/0')).toBe(false);
  });

  it('defaults to internet without interface endpoints (dev), and follows the config where set', () => {
    expect(egressOf(dev, /service-api_sg/)).toEqual([expect.objectContaining({ cidr_ipv4: '0.0.0.0/0', from_port: 443, description: expect.any(String) })]);
    const internetProd = Testing.synth(
      stacksFor('prod', { services: [{ name: 'api', egress: 'internet', loadBalancer: { healthCheck: { path: '/health/', matcher: '200' } } }] } as Overrides).app,
    );
    expect(egressOf(internetProd, /service-api_sg/)).toEqual([expect.objectContaining({ cidr_ipv4: '0.0.0.0/0' })]);
  });

  it('refuses vpcOnly without interface endpoints, and egress on a bridge-mode service', () => {
    expect(configProblems('dev', { services: [{ name: 'api', egress: 'vpcOnly' }] } as Overrides)).toEqual([
      'dev.services.0.egress: "vpcOnly" needs network.interfaceEndpoints: without them the tasks cannot reach ECR, CloudWatch Logs or Secrets Manager',
    ]);
    expect(configProblems('dev', { capacity: { ec2: { instanceType: 't3.small' } }, services: [{ name: 'api', capacity: 'ec2', networkMode: 'bridge', egress: 'internet' }] } as Overrides)).toEqual([
      'dev.services.0.egress: only applies with networkMode "awsvpc" (bridge-mode tasks use the EC2 hosts\' group)',
    ]);
  });
});

describe('security group ownership', () => {
  it('the ALB\'s egress to a service is owned by the load balancer, the service\'s ingress by the service, with moved blocks from the old addresses', () => {
    const egress = Object.keys(JSON.parse(dev).resource.aws_vpc_security_group_egress_rule);
    expect(egress).toEqual(expect.arrayContaining([expect.stringMatching(/^load-balancer_alb-egress-to-api-8000_/)]));
    expect(egress.some((id) => id.startsWith('service-api_alb'))).toBe(false);
    const moved = JSON.parse(dev).moved as Json[];
    expect(moved).toEqual(
      expect.arrayContaining([
        { from: terraformAddress('aws_vpc_security_group_egress_rule', ['service-api', 'alb-egress']), to: expect.stringMatching(/load-balancer_alb-egress-to-api-8000_/) },
        { from: terraformAddress('aws_vpc_security_group_ingress_rule', ['service-api', 'ingress-from-alb']), to: expect.stringMatching(/service-api_api-ingress-from-alb-8000_/) },
      ]),
    );
  });

  it('every rule of the app stack is described', () => {
    for (const s of [dev, prod]) {
      for (const type of ['aws_vpc_security_group_egress_rule', 'aws_vpc_security_group_ingress_rule']) {
        for (const rule of resourcesIn(s, type)) expect(rule.description).toMatch(/\w{3,}/);
      }
    }
  });
});

describe('constructs own their Props', () => {
  it('no construct imports src/config', () => {
    const dir = join(__dirname, '..', 'src', 'constructs');
    const offenders = readdirSync(dir).filter((f) => /from '\.\.\/config\//.test(readFileSync(join(dir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
