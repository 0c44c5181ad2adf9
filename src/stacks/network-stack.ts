// `<env>-network`: the VPC. Long-lived; changed rarely and reviewed carefully.
import { TerraformOutput, type TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { CustomerKey } from '../constructs/customer-key';
import { flowLogGroupName, Network } from '../constructs/network';
import { movedFromSibling } from '../lib/moved';
import { WorkloadStack } from './workload-stack';

export class NetworkStack extends WorkloadStack {
  readonly network: Network;
  /** Customer-managed key of the flow-log log group. */
  readonly flowLogKey: CustomerKey;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, 'network', { config });
    const { network: net } = config;
    const partition = config.partition;
    // The environment's network key: only CloudWatch Logs, only for the flow-log group.
    this.flowLogKey = new CustomerKey(this, 'flow-log-key', {
      alias: `${this.prefix}/flow-logs`,
      description: `VPC flow logs of ${this.prefix}`,
      accountId: this.accountId,
      region: config.region,
      partition,
      logGroupNames: [flowLogGroupName(this.prefix)],
      preventDestroy: config.production,
    });
    this.network = new Network(this, 'network', {
      namePrefix: this.prefix,
      region: config.region,
      partition,
      vpcCidr: net.vpcCidr,
      availabilityZones: config.availabilityZones,
      subnetCidrs: net.subnetCidrs,
      natGateways: net.natGateways,
      interfaceEndpoints: net.interfaceEndpoints,
      ipv6: net.ipv6,
      flowLogRetentionDays: net.flowLogRetentionDays,
      flowLogKmsKeyArn: this.flowLogKey.arn,
    });
    // Deployments of earlier versions had the endpoints' rule under another ID; `moved` keeps it in place.
    if (net.interfaceEndpoints) {
      movedFromSibling(this.network.node.findChild(`vpc-endpoints-ingress-from-${net.vpcCidr.replace(/[./]/g, '-')}-443`) as TerraformResource, 'endpoints-https-from-vpc');
    }
    new TerraformOutput(this, 'vpc_id', { value: this.network.vpcId, description: 'The environment\'s VPC' });
    new TerraformOutput(this, 'public_subnet_ids', { value: this.network.publicSubnetIds, description: 'Public subnets, one per AZ (ALB, NAT gateways)' });
    new TerraformOutput(this, 'app_subnet_ids', { value: this.network.appSubnetIds, description: 'Private app subnets, one per AZ (ECS tasks and hosts)' });
    new TerraformOutput(this, 'data_subnet_ids', { value: this.network.dataSubnetIds, description: 'Isolated data subnets, one per AZ (RDS; no route out of the VPC)' });
    new TerraformOutput(this, 'nat_egress_ips', {
      value: this.network.natEgressIps,
      description: 'Fixed public IPv4 addresses of outbound traffic (give these to partners that allow-list callers)',
    });
    new TerraformOutput(this, 'flow_log_kms_key_arn', { value: this.flowLogKey.arn, description: 'Customer-managed KMS key of the VPC flow-log log group' });
  }
}
