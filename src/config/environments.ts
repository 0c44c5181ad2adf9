// The environments, as an ops person reviews them: what differs between dev, staging and prod.
// Every field and its default is documented in schema.ts; validation runs before any construct.
// Bucket names, domains and account ids below are EXAMPLES: replace them with your own.
import type { EnvironmentInput, ProjectInput } from './schema';

export const project: ProjectInput = {
  service: 'drf-api',
  repository: 'github.com/example-org/drf-service-infra',
};

export const environments: Record<string, EnvironmentInput> = {
  dev: {
    region: 'ap-northeast-1',
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
    state: { bucket: 'example-drf-api-tfstate-dev' },
    imageTag: 'v0.1.0',
    network: {
      vpcCidr: '10.10.0.0/16',
      natGateways: 'single',
      interfaceEndpoints: false, // cheaper: dev egress goes through its single NAT gateway
      flowLogRetentionDays: 7,
    },
    database: {
      instanceClass: 'db.t4g.micro',
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 50,
      multiAz: false,
      backupRetentionDays: 1,
      deletionProtection: false,
      skipFinalSnapshot: true, // throwaway data; never allowed in production
      logRetentionDays: 7,
    },
  },

  staging: {
    region: 'ap-northeast-1',
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
    state: { bucket: 'example-drf-api-tfstate-staging' },
    imageTag: 'v0.1.0',
    network: {
      vpcCidr: '10.20.0.0/16',
      natGateways: 'single',
      interfaceEndpoints: true,
      flowLogRetentionDays: 30,
    },
    database: {
      instanceClass: 'db.t4g.small',
      allocatedStorageGiB: 20,
      maxAllocatedStorageGiB: 100,
      multiAz: false,
      backupRetentionDays: 7,
      deletionProtection: true,
      logRetentionDays: 30,
    },
  },

  prod: {
    production: true,
    region: 'ap-northeast-1',
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
    state: { bucket: 'example-drf-api-tfstate-prod' },
    imageTag: 'v0.1.0',
    network: {
      vpcCidr: '10.30.0.0/16',
      natGateways: 'perAz', // an AZ outage must not cut the other AZs' egress
      interfaceEndpoints: true,
      flowLogRetentionDays: 90,
    },
    database: {
      instanceClass: 'db.m7g.large',
      allocatedStorageGiB: 100,
      maxAllocatedStorageGiB: 500,
      multiAz: true, // synchronous standby (seed: "standby instance")
      backupRetentionDays: 14,
      deletionProtection: true,
      performanceInsightsRetentionDays: 731,
      readReplicas: 1,
      logRetentionDays: 90,
    },
  },
};
