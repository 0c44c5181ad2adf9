// The environments, as an ops person reviews them: what differs between dev, staging and prod.
// Every field and its default is documented in schema.ts; validation runs before any construct.
// Bucket names, domains and account ids below are EXAMPLES: replace them with your own.
import type { EnvironmentInput, ProjectInput } from './schema';

export const project: ProjectInput = {
  service: 'drf-api',
  repository: 'github.com/example-org/drf-service-infra',
  // Both pipelines ship, so both CI systems are trusted; turn off the one you do not use.
  ci: {
    github: { enabled: true },
    // EXAMPLE ids: CircleCI → Organization Settings / Project Settings → Overview.
    circleci: { organizationId: '0f8e5c1a-7d2b-4c3e-9a1f-2b3c4d5e6f70', projectId: '5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d' },
  },
};

export const environments: Record<string, EnvironmentInput> = {
  dev: {
    region: 'ap-northeast-1',
    // EXAMPLE account. Named because a later environment (prod) names its own: prod's releases read
    // staging's image tags (promotion evidence) in the account given here. One account per environment
    // is the safer layout (README "Pipeline identities"); the example keeps all three in one.
    allowedAccountIds: ['123456789012'],
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
    state: { bucket: 'example-drf-api-tfstate-dev' },
    ci: { githubEnvironment: 'dev' }, // the deploy workflow's GitHub environment (restricted to main)
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
    // One node, same behaviour as prod (TLS, IAM auth, non-clustered): ~12 USD a month (README "Cache").
    cache: { engineVersion: '8.0', nodeType: 'cache.t4g.micro', snapshotRetentionDays: 0 },
    edge: {
      domain: { name: 'api.dev.example.com', zone: 'dev.example.com' }, // EXAMPLE zone
      deletionProtection: false,
      accessLogRetentionDays: 14,
    },
    services: [
      {
        name: 'api',
        cache: {}, // REDIS_URL: Django's cache and sessions
        capacity: 'fargateSpot', // interruptible and cheaper: fine for dev
        cpu: 256,
        memory: 512,
        container: {
          port: 8000,
          environment: { DJANGO_SETTINGS_MODULE: 'config.settings.dev' },
        },
        desiredCount: 1,
        autoscaling: { minCount: 1, maxCount: 2 },
        // A DRF app often answers "/" with 400 (no route there); a health endpoint says more, and this is configurable.
        loadBalancer: { healthCheck: { path: '/health/', matcher: '200' } },
        // Before traffic moves: creates the app's database role and migrates (README "Database credentials").
        release: { migrate: ['python', 'manage.py', 'migrate', '--noinput'] },
        logRetentionDays: 14,
      },
    ],
  },

  staging: {
    region: 'ap-northeast-1',
    allowedAccountIds: ['123456789012'], // EXAMPLE account (see dev)
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
    state: { bucket: 'example-drf-api-tfstate-staging' },
    ci: { githubEnvironment: 'staging' }, // the deploy workflow's GitHub environment (restricted to main)
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
    capacity: {
      // ECS on EC2 instances (how the service first ran) stays exercised in staging.
      ec2: { instanceType: 't3.medium', minSize: 1, maxSize: 4 },
    },
    cache: { engineVersion: '8.0', nodeType: 'cache.t4g.small', snapshotRetentionDays: 1 },
    edge: {
      domain: { name: 'api.staging.example.com', zone: 'staging.example.com' }, // EXAMPLE zone
      deletionProtection: false,
    },
    services: [
      {
        name: 'api',
        capacity: 'ec2',
        cache: {}, // REDIS_URL: Django's cache and sessions (the EC2 hosts join the cache clients' group)
        networkMode: 'bridge', // the host's network; hostPort 0 = dynamic, so a rolling deploy fits two tasks per host
        cpu: 512,
        memory: 1024,
        container: {
          port: 8000,
          hostPort: 0,
          memory: 1024, // hard limit: the container is OOM-killed above it
          memoryReservation: 512, // soft limit
          environment: { DJANGO_SETTINGS_MODULE: 'config.settings.staging' },
        },
        desiredCount: 2,
        autoscaling: { minCount: 2, maxCount: 4, requestsPerTarget: 500 },
        loadBalancer: { healthCheck: { path: '/health/', matcher: '200' } },
        // Before traffic moves: creates the app's database role and migrates (README "Database credentials").
        release: { migrate: ['python', 'manage.py', 'migrate', '--noinput'] },
      },
      {
        name: 'worker',
        kind: 'worker', // Celery: no load balancer, no inbound traffic; same image as the api (push it to both repositories)
        capacity: 'fargate',
        cpu: 256,
        memory: 512,
        container: {
          command: ['celery', '-A', 'config', 'worker', '--loglevel', 'INFO'],
          environment: { DJANGO_SETTINGS_MODULE: 'config.settings.staging' },
        },
        cache: {}, // the broker and result backend
        desiredCount: 1,
        autoscaling: { minCount: 1, maxCount: 3 },
      },
    ],
    // Nightly at 03:00 Tokyo time: Django's expired sessions, with the api's image and roles (README "Scheduled tasks").
    schedules: [{ name: 'clearsessions', service: 'api', command: ['python', 'manage.py', 'clearsessions'], schedule: 'cron(0 3 * * ? *)', timezone: 'Asia/Tokyo' }],
  },

  prod: {
    production: true,
    region: 'ap-northeast-1',
    allowedAccountIds: ['123456789012'], // EXAMPLE account: required in production
    availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d'],
    state: {
      bucket: 'example-drf-api-tfstate-prod',
      // EXAMPLE: the administrators' role; only it, the bootstrap deployer and the pipeline roles may use the state.
      adminRoleArns: ['arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/ap-northeast-1/AWSReservedSSO_AdministratorAccess_*'],
    },
    ci: { githubEnvironment: 'production' }, // protected: main only, required reviewers (README "Pipeline identities")
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
      multiAz: true, // synchronous standby instance in another AZ
      backupRetentionDays: 14,
      deletionProtection: true,
      databaseInsights: 'advanced', // 15 months of query history, execution plans
      readReplicas: 1,
      logRetentionDays: 90,
    },
    cache: {
      engineVersion: '8.0',
      nodeType: 'cache.r7g.large',
      replicas: 2, // one per other AZ: automatic failover with Multi-AZ
      multiAz: true,
      snapshotRetentionDays: 7,
    },
    edge: {
      domain: { name: 'api.example.com', zone: 'example.com', alternativeNames: ['www.api.example.com'] }, // EXAMPLE zone
      deletionProtection: true,
      idleTimeoutSeconds: 60,
      accessLogRetentionDays: 365,
      // EXAMPLE web ACL, required in production: the one your security tooling manages (README "WAF").
      wafWebAclArn: 'arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/example/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    },
    services: [
      {
        name: 'api',
        cache: {}, // REDIS_URL: Django's cache and sessions
        capacity: 'fargate',
        cpu: 1024,
        memory: 2048,
        container: {
          port: 8000,
          memory: 2048,
          memoryReservation: 1536,
          environment: { DJANGO_SETTINGS_MODULE: 'config.settings.production' },
          // No curl in most Python images: the check uses the interpreter the app already has.
          healthCheck: {
            command: ['CMD', 'python', '-c', "import urllib.request; urllib.request.urlopen('http://localhost:8000/health/', timeout=3)"],
          },
        },
        desiredCount: 3,
        autoscaling: { minCount: 3, maxCount: 12 },
        deployment: {
          strategy: 'blueGreen',
          blueGreen: {
            bakeTimeMinutes: 60, // blue keeps running 1 hour after traffic moved: instant rollback
            // Send `x-release-test: green` over HTTPS to reach green before traffic moves, from here only:
            testListenerCidrs: ['10.200.0.0/16'], // EXAMPLE: your VPN's client range, allowed to test green
          },
        },
        loadBalancer: { healthCheck: { path: '/health/', matcher: '200' } },
        // Before traffic moves: creates the app's database role and migrates (README "Database credentials").
        release: { migrate: ['python', 'manage.py', 'migrate', '--noinput'] },
        logRetentionDays: 90,
      },
      {
        name: 'worker',
        kind: 'worker', // Celery: no load balancer, no inbound traffic; same image as the api (push it to both repositories)
        capacity: 'fargate',
        cpu: 512,
        memory: 1024,
        container: {
          command: ['celery', '-A', 'config', 'worker', '--loglevel', 'INFO'],
          environment: { DJANGO_SETTINGS_MODULE: 'config.settings.production' },
        },
        cache: {}, // the broker and result backend
        desiredCount: 2,
        autoscaling: { minCount: 2, maxCount: 8 },
        logRetentionDays: 90,
      },
    ],
    // Nightly at 03:00 Tokyo time: Django's expired sessions, with the api's image and roles (README "Scheduled tasks").
    schedules: [{ name: 'clearsessions', service: 'api', command: ['python', 'manage.py', 'clearsessions'], schedule: 'cron(0 3 * * ? *)', timezone: 'Asia/Tokyo' }],
    alarms: {
      emails: ['oncall@example.com'], // EXAMPLE address
      alb5xxPer5Minutes: 10,
      rdsConnections: 400, // db.m7g.large allows ~900
    },
  },
};
