// `<env>-network`: the VPC. Long-lived; changed rarely and reviewed carefully.
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { Network } from '../constructs/network';
import { EnvironmentStack } from './environment-stack';

export class NetworkStack extends EnvironmentStack {
  readonly network: Network;

  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, 'network', { config });
    const { network: net } = config;
    this.network = new Network(this, 'network', {
      namePrefix: this.prefix,
      region: config.region,
      vpcCidr: net.vpcCidr,
      availabilityZones: config.availabilityZones,
      subnetCidrs: net.subnetCidrs,
      natGateways: net.natGateways,
      interfaceEndpoints: net.interfaceEndpoints,
      ipv6: net.ipv6,
      flowLogRetentionDays: net.flowLogRetentionDays,
    });
    new TerraformOutput(this, 'vpc_id', { value: this.network.vpcId });
    new TerraformOutput(this, 'public_subnet_ids', { value: this.network.publicSubnetIds });
    new TerraformOutput(this, 'app_subnet_ids', { value: this.network.appSubnetIds });
    new TerraformOutput(this, 'data_subnet_ids', { value: this.network.dataSubnetIds });
    new TerraformOutput(this, 'nat_egress_ips', {
      value: this.network.natEgressIps,
      description: 'Fixed public IPv4 addresses of outbound traffic (give these to partners that allow-list callers)',
    });
  }
}
