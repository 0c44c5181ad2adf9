// Blue/green releases with CodeDeploy (seed 003/004): green starts beside blue, answers on a test
// listener (port 9000) first, traffic moves when an operator says so (or at once), blue stays a
// while for a fast rollback, and a failed deployment rolls back by itself.
import { CodedeployApp } from '@cdktf/provider-aws/lib/codedeploy-app';
import { CodedeployDeploymentGroup } from '@cdktf/provider-aws/lib/codedeploy-deployment-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';
import { serviceTrustPolicy } from '../lib/iam';

export interface BlueGreenDeploymentProps {
  /** Application and deployment group are named after it. */
  readonly name: string;
  /** Only CodeDeploy acting for this account may assume the service role. */
  readonly accountId: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly loadBalancerArn: string;
  readonly loadBalancerSecurityGroupId: string;
  readonly productionListenerArn: string;
  readonly blueTargetGroupArn: string;
  readonly blueTargetGroupName: string;
  readonly greenTargetGroupName: string;
  /** @default 9000 */
  readonly testListenerPort?: number;
  /** Sources allowed to reach the test listener. @default [] */
  readonly testListenerCidrs?: string[];
  /** @default "CodeDeployDefault.ECSAllAtOnce" */
  readonly deploymentConfig?: string;
  /** Minutes to wait for a manual go-ahead before rerouting; 0 reroutes as soon as green is ready. @default 120 */
  readonly rerouteWaitMinutes?: number;
  /** Minutes blue is kept after the reroute. @default 60 */
  readonly terminateBlueAfterMinutes?: number;
}

export class BlueGreenDeployment extends Construct {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly testListenerArn: string;

  constructor(scope: Construct, id: string, props: BlueGreenDeploymentProps) {
    super(scope, id);
    const testPort = props.testListenerPort ?? 9000;

    const testListener = new LbListener(this, 'test-listener', {
      loadBalancerArn: props.loadBalancerArn,
      port: testPort,
      protocol: 'HTTP',
      defaultAction: [{ type: 'forward', targetGroupArn: props.blueTargetGroupArn }],
      // CodeDeploy points the test listener at green during a deployment.
      lifecycle: { ignoreChanges: ['default_action'] },
    });
    (props.testListenerCidrs ?? []).forEach((cidr, i) => {
      new VpcSecurityGroupIngressRule(this, `test-listener-ingress-${i}`, {
        securityGroupId: props.loadBalancerSecurityGroupId,
        description: `Blue/green test listener from ${cidr}`,
        ipProtocol: 'tcp',
        fromPort: testPort,
        toPort: testPort,
        cidrIpv4: cidr,
      });
    });

    const role = new IamRole(this, 'role', {
      name: `${props.name}-codedeploy`,
      assumeRolePolicy: serviceTrustPolicy('codedeploy.amazonaws.com', props.accountId),
    });
    new IamRolePolicyAttachment(this, 'role-policy', { role: role.name, policyArn: 'arn:aws:iam::aws:policy/AWSCodeDeployRoleForECS' });

    const app = new CodedeployApp(this, 'app', { name: props.name, computePlatform: 'ECS' });
    const rerouteWait = props.rerouteWaitMinutes ?? 120;
    const group = new CodedeployDeploymentGroup(this, 'group', {
      appName: app.name,
      deploymentGroupName: props.name,
      serviceRoleArn: role.arn,
      deploymentConfigName: props.deploymentConfig ?? 'CodeDeployDefault.ECSAllAtOnce',
      deploymentStyle: { deploymentOption: 'WITH_TRAFFIC_CONTROL', deploymentType: 'BLUE_GREEN' },
      ecsService: { clusterName: props.clusterName, serviceName: props.serviceName },
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] },
      blueGreenDeploymentConfig: {
        deploymentReadyOption:
          rerouteWait > 0
            ? { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: rerouteWait }
            : { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
        terminateBlueInstancesOnDeploymentSuccess: {
          action: 'TERMINATE',
          terminationWaitTimeInMinutes: props.terminateBlueAfterMinutes ?? 60,
        },
      },
      loadBalancerInfo: {
        targetGroupPairInfo: {
          prodTrafficRoute: { listenerArns: [props.productionListenerArn] },
          testTrafficRoute: { listenerArns: [testListener.arn] },
          targetGroup: [{ name: props.blueTargetGroupName }, { name: props.greenTargetGroupName }],
        },
      },
    });

    this.applicationName = app.name;
    this.deploymentGroupName = group.deploymentGroupName;
    this.testListenerArn = testListener.arn;
  }
}
