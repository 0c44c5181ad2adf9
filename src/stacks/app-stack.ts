// `<env>-app`: what every release changes: the cluster, its capacity, the services and the ALB in
// front of them (with its certificate and DNS names).
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { DnsValidatedCertificate } from '../constructs/certificate';
import { Alarms } from '../constructs/alarms';
import { Cluster } from '../constructs/cluster';
import type { ContainerRegistry } from '../constructs/container-registry';
import type { Database } from '../constructs/database';
import { Ec2Capacity } from '../constructs/ec2-capacity';
import { LoadBalancer } from '../constructs/load-balancer';
import type { Network } from '../constructs/network';
import { WebService } from '../constructs/web-service';
import { EnvironmentStack } from './environment-stack';

export interface AppStackProps {
  readonly config: EnvironmentConfig;
  readonly network: Pick<Network, 'vpcId' | 'publicSubnetIds' | 'appSubnetIds'>;
  readonly database: Pick<Database, 'identifier' | 'address' | 'port' | 'databaseName' | 'masterUserSecretArn' | 'clientSecurityGroupId'>;
  readonly registry: Pick<ContainerRegistry, 'repositories'>;
}

export class AppStack extends EnvironmentStack {
  readonly cluster: Cluster;
  readonly loadBalancer: LoadBalancer;
  readonly services: WebService[];

  constructor(scope: Construct, props: AppStackProps) {
    const { config, network, database, registry } = props;
    super(scope, 'app', { config });
    const prefix = this.prefix;
    const accountId = new DataAwsCallerIdentity(this, 'caller', {}).accountId;
    const edge = config.edge;

    const ec2Settings = config.capacity.ec2;
    const bridge = config.services.some((svc) => svc.networkMode === 'bridge');
    const ec2 = ec2Settings
      ? new Ec2Capacity(this, 'ec2-capacity', {
          namePrefix: prefix,
          clusterName: prefix,
          vpcId: network.vpcId,
          subnetIds: network.appSubnetIds,
          instanceType: ec2Settings.instanceType,
          minSize: ec2Settings.minSize,
          maxSize: ec2Settings.maxSize,
          targetCapacityPercent: ec2Settings.targetCapacityPercent,
          rootVolumeGiB: ec2Settings.rootVolumeGiB,
          bridgeNetworking: bridge,
          // Bridge-mode tasks use the host's groups, so the host joins the database clients'.
          extraSecurityGroupIds: bridge ? [database.clientSecurityGroupId] : [],
        })
      : undefined;
    this.cluster = new Cluster(this, 'cluster', {
      name: prefix,
      extraCapacityProviders: ec2 ? [ec2.capacityProviderName] : [],
    });

    const certificate = edge.domain
      ? new DnsValidatedCertificate(this, 'certificate', {
          domainName: edge.domain.name,
          alternativeNames: edge.domain.alternativeNames,
          zoneName: edge.domain.zone,
          createZone: edge.domain.createZone,
        })
      : undefined;
    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      namePrefix: prefix,
      accountId,
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      dualStack: config.network.ipv6,
      certificateArn: certificate?.certificateArn,
      zoneId: certificate?.zoneId,
      domainNames: edge.domain ? [edge.domain.name, ...edge.domain.alternativeNames] : [],
      idleTimeoutSeconds: edge.idleTimeoutSeconds,
      deletionProtection: edge.deletionProtection,
      wafWebAclArn: edge.wafWebAclArn,
      accessLogRetentionDays: edge.accessLogRetentionDays,
      preventDestroy: config.production,
    });

    this.services = config.services.map(
      (settings, position) =>
        new WebService(this, `service-${settings.name}`, {
          namePrefix: prefix,
          region: config.region,
          accountId,
          settings,
          position,
          clusterName: this.cluster.name,
          vpcId: network.vpcId,
          subnetIds: network.appSubnetIds,
          image: `${registry.repositories[settings.name].url}:${config.imageTag}`,
          repositoryArn: registry.repositories[settings.name].arn,
          loadBalancer: this.loadBalancer,
          extraSecurityGroupIds: [database.clientSecurityGroupId],
          ec2CapacityProviderName: ec2?.capacityProviderName,
          instanceSecurityGroupId: ec2?.securityGroupId,
          database: {
            address: database.address,
            port: database.port,
            databaseName: database.databaseName,
            secretArn: database.masterUserSecretArn,
          },
          execAuditLogGroupArn: this.cluster.execAuditLogGroupArn,
          retainLogs: config.production,
        }),
    );

    const alarms = new Alarms(this, 'alarms', {
      namePrefix: prefix,
      thresholds: config.alarms,
      emails: config.alarms.emails,
      loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
      clusterName: this.cluster.name,
      services: this.services.map((svc) => ({ name: svc.name, serviceName: svc.serviceName, targetGroupArnSuffix: svc.targetGroupArnSuffix })),
      databaseIdentifier: database.identifier,
    });
    new TerraformOutput(this, 'alarm_topic_arn', { value: alarms.topicArn, description: 'Subscribe on-call tooling here' });

    new TerraformOutput(this, 'url', {
      value: edge.domain ? `https://${edge.domain.name}` : `http://${this.loadBalancer.dnsName}`,
    });
    new TerraformOutput(this, 'alb_dns_name', { value: this.loadBalancer.dnsName });
    if (certificate?.nameServers) {
      new TerraformOutput(this, 'zone_name_servers', { value: certificate.nameServers, description: 'Delegate the zone to these' });
    }
    // Everything `aws ecs run-task` needs for a one-off task (migrations, seeders): see README.
    new TerraformOutput(this, 'run_task', {
      value: {
        cluster: this.cluster.name,
        subnets: network.appSubnetIds,
        services: Object.fromEntries(
          this.services.map((svc) => [svc.name, { task_family: svc.taskFamily, security_group: svc.securityGroupId, log_group: svc.logGroupName }]),
        ),
      },
    });
    const blueGreen = this.services.filter((svc) => svc.blueGreen);
    if (blueGreen.length > 0) {
      new TerraformOutput(this, 'codedeploy', {
        value: Object.fromEntries(
          blueGreen.map((svc) => [svc.name, { application: svc.blueGreen!.applicationName, deployment_group: svc.blueGreen!.deploymentGroupName }]),
        ),
      });
    }
  }
}
