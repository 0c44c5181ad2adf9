// `<env>-app`: the cluster, its capacity, the services and the ALB in front of them (with its
// certificate and DNS names). Releases change no Terraform: they register task definition revisions,
// update the services through the ECS API and point the schedules at the released revision
// (`npm run release`), all of which this stack leaves alone (ignore_changes).
import { DataAwsEc2ManagedPrefixList } from '@cdktf/provider-aws/lib/data-aws-ec2-managed-prefix-list';
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { DnsValidatedCertificate } from '../constructs/certificate';
import { Alarms } from '../constructs/alarms';
import { Cluster } from '../constructs/cluster';
import type { ContainerRegistry } from '../constructs/container-registry';
import { CustomerKey } from '../constructs/customer-key';
import type { Database } from '../constructs/database';
import { DatabaseReference } from '../constructs/database-reference';
import { Ec2Capacity } from '../constructs/ec2-capacity';
import { defaultListenerPriority, targetGroupName } from '../naming';
import { LoadBalancer } from '../constructs/load-balancer';
import type { Network } from '../constructs/network';
import { WebService } from '../constructs/web-service';
import type { WorkerService } from '../constructs/worker-service';
import { AppWorkloads, clientSecurityGroups, grantCacheConnect, type CacheAccess } from './app-workloads';
import { WorkloadStack } from './workload-stack';
import { serviceNetwork, taskDefinitionProps, type ServiceContext } from './service-props';

export interface AppStackProps {
  readonly config: EnvironmentConfig;
  readonly network: Pick<Network, 'vpcId' | 'vpcCidr' | 'publicSubnetIds' | 'appSubnetIds'>;
  readonly database: Pick<Database, 'identifier' | 'address' | 'port' | 'databaseName' | 'masterUserSecretArn' | 'masterSecretKeyArn' | 'clientSecurityGroupId' | 'resourceId'>;
  readonly registry: Pick<ContainerRegistry, 'repositories'>;
  /** The environment's cache (`<env>-data`), when configured. @default none */
  readonly cache?: CacheAccess;
}

export class AppStack extends WorkloadStack {
  readonly cluster: Cluster;
  /** The app stack's customer-managed key (log groups, ECS Exec, alarm topic). */
  readonly key: CustomerKey;
  readonly loadBalancer: LoadBalancer;
  readonly services: WebService[];
  /** Services without a load balancer (`kind: "worker"`). */
  readonly workers: WorkerService[];

  constructor(scope: Construct, props: AppStackProps) {
    const { config, network, database, registry } = props;
    super(scope, 'app', { config });
    const prefix = this.prefix;
    const accountId = this.accountId;
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
          partition: config.partition,
          bridgeNetworking: bridge,
          // Bridge-mode tasks use the host's groups, so the host joins the database clients'.
          extraSecurityGroupIds: bridge
            ? [database.clientSecurityGroupId, ...(props.cache && config.services.some((s) => s.networkMode === 'bridge' && s.cache) ? [props.cache.clientSecurityGroupId] : [])]
            : [],
        })
      : undefined;
    // The app stack's own key: log groups, ECS Exec sessions and audit, the alarm topic.
    this.key = new CustomerKey(this, 'key', {
      alias: `${prefix}-app`,
      description: `${prefix} app stack: log groups, ECS Exec sessions, alarm topic`,
      accountId,
      region: config.region,
      partition: config.partition,
      logGroupNames: [`/ecs/${prefix}/*`],
      // Alarms publish to the encrypted topic: without this they would stop notifying.
      servicePrincipals: [{ sid: 'CloudWatchAlarmsPublishToTheTopic', service: 'cloudwatch.amazonaws.com', actions: ['kms:Decrypt', 'kms:GenerateDataKey*'] }],
      preventDestroy: config.production,
      tags: { Name: `${prefix}-app` },
    });
    this.cluster = new Cluster(this, 'cluster', {
      name: prefix,
      extraCapacityProviders: ec2 ? [ec2.capacityProviderName] : [],
      kmsKeyArn: this.key.arn,
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

    // vpcOnly egress reaches S3 (ECR image layers) through the gateway endpoint: its prefix list.
    const s3PrefixList = new DataAwsEc2ManagedPrefixList(this, 's3-prefix-list', { name: `com.amazonaws.${config.region}.s3` });
    const serviceContext: ServiceContext = {
      config,
      accountId,
      repositories: registry.repositories,
      // The data stack's database, known here by its attributes: its grants name this stack's account.
      database: new DatabaseReference({
        address: database.address,
        port: database.port,
        databaseName: database.databaseName,
        resourceId: database.resourceId,
        masterUserSecretArn: database.masterUserSecretArn,
        masterSecretKeyArn: database.masterSecretKeyArn,
        region: config.region,
        accountId,
        partition: config.partition,
      }),
      kmsKeyArn: this.key.arn,
      execAuditLogGroupArn: this.cluster.execAuditLogGroupArn,
      network,
      s3PrefixListId: s3PrefixList.id,
      ec2: ec2 ? { capacityProviderName: ec2.capacityProviderName, connections: ec2.connections } : undefined,
      extraEnvironment: (svc) => (props.cache && svc.cache ? props.cache.environment({ url: svc.cache.urlEnvVar }) : {}),
    };

    // Workers are built with the workloads below; the default listener-rule priority follows the position in config.
    this.services = config.services.flatMap((settings, position) => {
      if (settings.kind === 'worker') return [];
      const lbSettings = settings.loadBalancer;
      const deployment = settings.deployment;
      return new WebService(this, `service-${settings.name}`, {
        taskDefinition: taskDefinitionProps(serviceContext, settings),
        network: serviceNetwork(serviceContext, settings, clientSecurityGroups(settings, database.clientSecurityGroupId, props.cache)),
        clusterName: this.cluster.name,
        loadBalancer: this.loadBalancer,
        routing: { hosts: lbSettings.hosts, paths: lbSettings.paths, priority: lbSettings.priority ?? defaultListenerPriority(position) },
        targetGroup: {
          name: (suffix) => targetGroupName(prefix, settings.name, suffix),
          deregistrationDelaySeconds: lbSettings.deregistrationDelaySeconds,
          healthCheck: lbSettings.healthCheck,
        },
        desiredCount: settings.desiredCount,
        deployment:
          deployment.strategy === 'blueGreen'
            ? {
                kind: 'blueGreen',
                bakeTimeMinutes: deployment.blueGreen.bakeTimeMinutes,
                testHeaderName: deployment.blueGreen.testHeaderName,
                testSourceCidrs: deployment.blueGreen.testListenerCidrs,
              }
            : { kind: 'rolling', minimumHealthyPercent: deployment.minimumHealthyPercent, maximumPercent: deployment.maximumPercent },
        healthCheckGracePeriodSeconds: settings.healthCheckGracePeriodSeconds,
        scaling: settings.autoscaling,
        migrateCommand: settings.release.migrate,
      });
    });

    const alarms = new Alarms(this, 'alarms', {
      namePrefix: prefix,
      thresholds: config.alarms,
      emails: config.alarms.emails,
      loadBalancerArnSuffix: this.loadBalancer.arnSuffix,
      clusterName: this.cluster.name,
      services: this.services.map((svc) => ({ name: svc.name, serviceName: svc.serviceName, targetGroupArnSuffixes: svc.targetGroupArnSuffixes })),
      databaseIdentifier: database.identifier,
      kmsKeyArn: this.key.arn,
    });
    new TerraformOutput(this, 'app_kms_key_arn', {
      value: this.key.arn,
      description: `The app stack's KMS key (${this.key.aliasName}): log groups, ECS Exec sessions, alarm topic; exec users need kms:GenerateDataKey on it`,
    });
    new TerraformOutput(this, 'alarm_topic_arn', { value: alarms.topicArn, description: 'SNS topic every alarm of the environment notifies: subscribe on-call tooling here' });

    // Workers, schedules, cache alarms; web services that use the cache may connect to it.
    const workloads = new AppWorkloads(this, 'workloads', {
      config,
      prefix,
      accountId,
      cluster: this.cluster,
      serviceContext,
      database: { clientSecurityGroupId: database.clientSecurityGroupId },
      cache: props.cache,
      webServiceSecurityGroups: Object.fromEntries(this.services.map((svc) => [svc.name, svc.securityGroupId])),
      webServiceTaskDefinitionArns: Object.fromEntries(this.services.map((svc) => [svc.name, svc.deployedTaskDefinitionArn])),
      alarmTopicArn: alarms.topicArn,
    });
    this.workers = workloads.workers;
    for (const worker of this.workers) {
      // Workers have no target group: CPU, memory and tasks below desired. Their alarms used to be
      // created by the worker itself; `moved` keeps them.
      alarms.addService({ name: worker.name, serviceName: worker.serviceName, movedFromPath: ['workloads', `worker-${worker.name}`] });
    }
    const cache = props.cache;
    if (cache) {
      for (const svc of this.services.filter((web) => config.services.find((s) => s.name === web.name)?.cache)) {
        grantCacheConnect(svc, 'cache-connect', svc.taskRoleArn, cache);
      }
    }

    new TerraformOutput(this, 'url', {
      value: edge.domain ? `https://${edge.domain.name}` : `http://${this.loadBalancer.dnsName}`,
      description: 'Public URL of the application (HTTPS on the configured domain; the ALB name over HTTP without one)',
    });
    new TerraformOutput(this, 'alb_dns_name', { value: this.loadBalancer.dnsName, description: 'DNS name of the ALB (alias target for records outside the managed zone)' });
    if (certificate?.nameServers) {
      new TerraformOutput(this, 'zone_name_servers', { value: certificate.nameServers, description: 'Name servers of the created hosted zone: delegate the zone to these at its parent' });
    }
    // Everything `aws ecs run-task` needs for an ad-hoc one-off task (seeders, shells): see README.
    // Releases do not read it: they take names from the config and networking from DescribeServices.
    new TerraformOutput(this, 'run_task', {
      description: 'For aws ecs run-task (one-off tasks, shells): the cluster, app subnets and, per service and worker, its families, security group, log group and release record',
      value: {
        cluster: this.cluster.name,
        subnets: network.appSubnetIds,
        services: Object.fromEntries(
          [...this.services, ...this.workers].map((svc) => [
            svc.name,
            {
              task_family: svc.taskFamily,
              ...(svc.migrate ? { migrate_family: svc.migrate.family } : {}),
              security_group: svc.securityGroupId,
              log_group: svc.logGroupName,
              release_record: svc.releaseRecord.parameterName,
            },
          ]),
        ),
      },
    });
  }
}
