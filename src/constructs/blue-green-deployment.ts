// What an ECS-native blue/green service needs besides its two target groups (without
// CodeDeploy): a TEST listener rule on the HTTPS listener that sends requests carrying a header (and,
// when configured, only from allowed sources) to green before production traffic moves, and the
// infrastructure role ECS assumes to register targets and reweight the production and test rules.
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LbListenerRule, type LbListenerRuleCondition } from '@cdktf/provider-aws/lib/lb-listener-rule';
import { Construct } from 'constructs';
import { policyDocument } from '../lib/iam';

/** The value of the test header that reaches green. */
export const TEST_HEADER_VALUE = 'green';

export interface BlueGreenDeploymentProps {
  /** `<prefix>-<service>`: names the role and tags the rule. */
  readonly name: string;
  /** Region of the service (the trust policy's `aws:SourceArn`). */
  readonly region: string;
  /** Only ECS acting for this account and region may assume the infrastructure role. */
  readonly accountId: string;
  /** ARN partition of the region (`aws`, `aws-cn`, `aws-us-gov`): `partitionOf(region)` of src/config/regions.ts. */
  readonly partition: string;
  /** The HTTPS listener both rules live on. */
  readonly listenerArn: string;
  /** The production rule (ECS moves its weights from blue to green). */
  readonly productionRuleArn: string;
  /** Priority of the test rule: it must be evaluated before the production rule. */
  readonly testPriority: number;
  /** The production rule's routing conditions (hosts, paths), repeated on the test rule. */
  readonly routingConditions: LbListenerRuleCondition[];
  /** Target group of the first deploy (production traffic between releases). */
  readonly blueTargetGroupArn: string;
  /** The alternate target group green tasks register in. */
  readonly greenTargetGroupArn: string;
  /** Header a request must carry (value `green`) to reach green during a release. */
  readonly testHeaderName: string;
  /** Sources whose requests with the header reach green; empty = any source. */
  readonly testSourceCidrs: string[];
}

export class BlueGreenDeployment extends Construct {
  readonly testRuleArn: string;
  /** ECS infrastructure role for load balancers (`advanced_configuration.role_arn`). */
  readonly roleArn: string;
  /** The role's permissions: the service must not be created before them. */
  readonly rolePolicy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: BlueGreenDeploymentProps) {
    super(scope, id);
    const header = props.testHeaderName;
    const cidrs = props.testSourceCidrs;

    const testRule = new LbListenerRule(this, 'test-rule', {
      listenerArn: props.listenerArn,
      priority: props.testPriority,
      condition: [
        ...props.routingConditions,
        { httpHeader: { httpHeaderName: header, values: [TEST_HEADER_VALUE] } },
        ...(cidrs.length > 0 ? [{ sourceIp: { values: cidrs } }] : []),
      ],
      // Between releases the test rule follows production; during one ECS points it at green.
      action: [
        {
          type: 'forward',
          forward: {
            targetGroup: [
              { arn: props.blueTargetGroupArn, weight: 100 },
              { arn: props.greenTargetGroupArn, weight: 0 },
            ],
          },
        },
      ],
      // ECS rewrites the weights at every release.
      lifecycle: { ignoreChanges: ['action'] },
      tags: { Name: `${props.name}-test` },
    });

    const role = new IamRole(this, 'role', {
      name: `${props.name}-ecs-lb`,
      description: `ECS infrastructure role: shifts ${props.name} between its blue and green target groups`,
      assumeRolePolicy: policyDocument({
        Sid: 'EcsInfrastructureForLoadBalancers',
        Effect: 'Allow',
        Principal: { Service: 'ecs.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': props.accountId },
          ArnLike: { 'aws:SourceArn': `arn:${props.partition}:ecs:${props.region}:${props.accountId}:*` },
        },
      }),
    });
    // AWS's AmazonECSInfrastructureRolePolicyForLoadBalancers, scoped to this service's target
    // groups and rules (describe calls support no resource scoping).
    this.rolePolicy = new IamRolePolicy(this, 'role-policy', {
      role: role.id,
      name: 'shift-traffic',
      policy: policyDocument(
        {
          Sid: 'Describe',
          Effect: 'Allow',
          Action: [
            'elasticloadbalancing:DescribeListeners',
            'elasticloadbalancing:DescribeRules',
            'elasticloadbalancing:DescribeTargetGroups',
            'elasticloadbalancing:DescribeTargetHealth',
          ],
          Resource: '*',
        },
        {
          Sid: 'RegisterTasks',
          Effect: 'Allow',
          Action: ['elasticloadbalancing:RegisterTargets', 'elasticloadbalancing:DeregisterTargets'],
          Resource: [props.blueTargetGroupArn, props.greenTargetGroupArn],
        },
        {
          Sid: 'ShiftTraffic',
          Effect: 'Allow',
          Action: 'elasticloadbalancing:ModifyRule',
          Resource: [props.productionRuleArn, testRule.arn],
        },
      ),
    });

    this.testRuleArn = testRule.arn;
    this.roleArn = role.arn;
  }
}
