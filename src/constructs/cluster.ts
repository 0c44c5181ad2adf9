// The ECS cluster and the capacity it may place tasks on: Fargate, Fargate Spot, and optionally EC2.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsClusterCapacityProviders } from '@cdktf/provider-aws/lib/ecs-cluster-capacity-providers';
import { Construct } from 'constructs';

export interface ClusterProps {
  readonly name: string;
  /** Capacity providers beyond Fargate and Fargate Spot (e.g. the EC2 one). @default [] */
  readonly extraCapacityProviders?: string[];
  /** Retention of the ECS Exec audit log (every command typed in a shell). @default 90 */
  readonly execAuditLogRetentionDays?: number;
}

export class Cluster extends Construct {
  readonly name: string;
  readonly arn: string;
  /** ECS Exec session audit log. */
  readonly execAuditLogGroupArn: string;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    const execLogs = new CloudwatchLogGroup(this, 'exec-audit', {
      name: `/ecs/${props.name}/exec-audit`,
      retentionInDays: props.execAuditLogRetentionDays ?? 90,
    });
    const cluster = new EcsCluster(this, 'cluster', {
      name: props.name,
      setting: [{ name: 'containerInsights', value: 'enhanced' }],
      configuration: {
        executeCommandConfiguration: {
          logging: 'OVERRIDE',
          logConfiguration: { cloudWatchLogGroupName: execLogs.name, cloudWatchEncryptionEnabled: false },
        },
      },
    });
    const providers = new EcsClusterCapacityProviders(this, 'capacity-providers', {
      clusterName: cluster.name,
      capacityProviders: ['FARGATE', 'FARGATE_SPOT', ...(props.extraCapacityProviders ?? [])],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
    });
    // Read through the association so whatever uses the name waits until capacity providers are attached.
    this.name = providers.clusterName;
    this.arn = cluster.arn;
    this.execAuditLogGroupArn = execLogs.arn;
  }
}
