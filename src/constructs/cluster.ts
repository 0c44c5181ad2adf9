// The ECS cluster and the capacity it may place tasks on: Fargate, Fargate Spot, and optionally EC2.
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsClusterCapacityProviders } from '@cdktf/provider-aws/lib/ecs-cluster-capacity-providers';
import { Construct } from 'constructs';

export interface ClusterProps {
  /** Cluster name (`<project>-<env>`); the exec audit log group is `/ecs/<name>/exec-audit`. */
  readonly name: string;
  /** Capacity providers beyond Fargate and Fargate Spot (e.g. the EC2 one). @default [] */
  readonly extraCapacityProviders?: string[];
  /** Retention of the ECS Exec audit log (every command typed in a shell). @default 90 */
  readonly execAuditLogRetentionDays?: number;
  /**
   * Customer-managed key for ECS Exec: sessions are encrypted with it (`kms_key_id`) and so is the
   * audit log group (its policy must let CloudWatch Logs use it for that group).
   * @default AWS-managed encryption (sessions over TLS only, audit log with CloudWatch Logs' own key)
   */
  readonly kmsKeyArn?: string;
}

export class Cluster extends Construct {
  /** Cluster name, read through the capacity-provider association (users wait for it). */
  readonly name: string;
  readonly arn: string;
  /** ECS Exec session audit log. */
  readonly execAuditLogGroupArn: string;
  /** The key of ECS Exec sessions and the audit log, when given. */
  readonly execKmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    const execLogs = new CloudwatchLogGroup(this, 'exec-audit', {
      name: `/ecs/${props.name}/exec-audit`,
      retentionInDays: props.execAuditLogRetentionDays ?? 90,
      kmsKeyId: props.kmsKeyArn,
    });
    const cluster = new EcsCluster(this, 'cluster', {
      name: props.name,
      setting: [{ name: 'containerInsights', value: 'enhanced' }],
      configuration: {
        // Whether tasks may be exec'd into is each service's `enable_execute_command`; this says how.
        executeCommandConfiguration: {
          kmsKeyId: props.kmsKeyArn,
          logging: 'OVERRIDE',
          // With a key the agent refuses to log to an unencrypted group (it checks with DescribeLogGroups).
          logConfiguration: { cloudWatchLogGroupName: execLogs.name, cloudWatchEncryptionEnabled: props.kmsKeyArn !== undefined },
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
    this.execKmsKeyArn = props.kmsKeyArn;
  }
}
