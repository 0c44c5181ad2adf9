// Cache, workers and schedules as configured per environment: config errors, and what each stack holds.
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { SchedulerSchedule } from '@cdktf/provider-aws/lib/scheduler-schedule';
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Testing } from 'cdktf';
import { environments } from '../src/config/environments';
import { CACHE_NODE_TYPES } from '../src/config/workloads';
import { configFor, configProblems, resourcesIn, stacksFor, synthOf, type Json, type Overrides } from './helpers';

const web = { name: 'api', loadBalancer: { healthCheck: { path: '/health/', matcher: '200' } } };
const worker = { name: 'worker', kind: 'worker', container: { command: ['celery', '-A', 'config', 'worker'] }, desiredCount: 1, autoscaling: { minCount: 1, maxCount: 2 } };
const nightly = { name: 'clearsessions', service: 'api', command: ['python', 'manage.py', 'clearsessions'], schedule: 'cron(0 3 * * ? *)', timezone: 'Asia/Tokyo' };
const cache = { engineVersion: '8.0', nodeType: 'cache.t4g.micro' };
const problems = (env: string, overrides: Record<string, unknown>) => configProblems(env, overrides as Overrides);

describe('configuration of the cache, workers and schedules', () => {
  it('ships examples: a cache everywhere, a worker and a nightly clearsessions at 03:00 Tokyo time in staging and prod', () => {
    for (const env of ['staging', 'prod']) {
      const config = configFor(env);
      expect(config.cache).toBeDefined();
      expect(config.services.find((s) => s.kind === 'worker')?.container.command).toEqual(['celery', '-A', 'config', 'worker', '--loglevel', 'INFO']);
      expect(config.schedules).toEqual([expect.objectContaining({ service: 'api', command: ['python', 'manage.py', 'clearsessions'], schedule: 'cron(0 3 * * ? *)', timezone: 'Asia/Tokyo' })]);
    }
    const dev = configFor('dev');
    expect(dev.cache).toEqual(expect.objectContaining({ nodeType: 'cache.t4g.micro', snapshotRetentionDays: 0 }));
    expect(dev.cache?.replicas).toBeUndefined();
    expect(dev.services.every((s) => s.kind === 'web')).toBe(true);
    expect(dev.schedules).toEqual([]);
  });

  it('defaults a service to kind "web"', () => {
    expect(configFor('dev').services[0].kind).toBe('web');
  });

  it.each<[string, string, Record<string, unknown>, string]>([
    ['a schedule of an unknown service', 'dev', { schedules: [{ ...nightly, service: 'nope' }] }, 'dev.schedules.0.service: "nope" is not a service of this environment (api)'],
    ['a five-field cron', 'dev', { schedules: [{ ...nightly, schedule: 'cron(0 3 * * *)' }] }, 'dev.schedules.0.schedule: "cron(0 3 * * *)" is not a schedule expression'],
    ['a crontab line', 'dev', { schedules: [{ ...nightly, schedule: '0 3 * * *' }] }, 'dev.schedules.0.schedule: "0 3 * * *" is not a schedule expression'],
    ['an unknown time zone', 'dev', { schedules: [{ ...nightly, timezone: 'Tokyo' }] }, 'dev.schedules.0.timezone: "Tokyo" is not an IANA time zone'],
    ['a schedule without a time zone', 'dev', { schedules: [{ ...nightly, timezone: undefined }] }, 'dev.schedules.0.timezone'],
    ['two schedules with one name', 'dev', { schedules: [nightly, nightly] }, 'dev.schedules.1.name: "clearsessions" is used by another schedule'],
    ['a long schedule name', 'dev', { schedules: [{ ...nightly, name: 'clear-the-expired-sessions' }] }, 'dev.schedules.0.name: "clear-the-expired-sessions" is not a schedule name'],
    ['too many retries', 'dev', { schedules: [{ ...nightly, retries: 200 }] }, 'dev.schedules.0.retries'],
    ['a node type that does not exist', 'dev', { cache: { ...cache, nodeType: 'cache.t4g.huge' } }, 'dev.cache.nodeType: "cache.t4g.huge" is not an ElastiCache node type'],
    ['a previous-generation node type', 'dev', { cache: { ...cache, nodeType: 'cache.t2.micro' } }, 'dev.cache.nodeType: "cache.t2.micro" is not an ElastiCache node type'],
    ['a major-only engine version', 'dev', { cache: { ...cache, engineVersion: '8' } }, 'dev.cache.engineVersion: "8" is not a valkey "major.minor" version'],
    ['a Valkey version without IAM authentication', 'dev', { cache: { ...cache, engineVersion: '7.1' } }, 'dev.cache.engineVersion: "7.1" is not a valkey'],
    ['Redis OSS 6', 'dev', { cache: { ...cache, engine: 'redis', engineVersion: '6.2' } }, 'dev.cache.engineVersion: "6.2" is not a redis'],
    ['an unknown engine', 'dev', { cache: { ...cache, engine: 'memcached' } }, 'dev.cache.engine'],
    ['overlapping windows', 'dev', { cache: { ...cache, snapshotWindow: '18:00-19:00', maintenanceWindow: 'tue:18:30-tue:19:30' } }, 'dev.cache.snapshotWindow: "18:00-19:00" overlaps cache.maintenanceWindow "tue:18:30-tue:19:30"'],
    ['a 30-minute snapshot window', 'dev', { cache: { ...cache, snapshotWindow: '18:00-18:30' } }, 'dev.cache.snapshotWindow: "18:00-18:30" is not a UTC window'],
    ['a malformed maintenance window', 'dev', { cache: { ...cache, maintenanceWindow: 'sunday' } }, 'dev.cache.maintenanceWindow: "sunday" is not a UTC window'],
    ['Multi-AZ without a replica', 'dev', { cache: { ...cache, multiAz: true } }, 'dev.cache.multiAz: needs cache.replicas of at least 1'],
    ['six replicas', 'dev', { cache: { ...cache, replicas: 6 } }, 'dev.cache.replicas'],
    ['a production cache without Multi-AZ', 'prod', { cache: { ...cache, replicas: 1, multiAz: false } }, 'prod.cache.multiAz: must be true in production'],
    ['a production cache without replicas', 'prod', { cache: { ...cache, replicas: 0 } }, 'prod.cache.replicas: must be at least 1 in production'],
    ['a production cache without snapshots', 'prod', { cache: { ...cache, replicas: 1, multiAz: true, snapshotRetentionDays: 0 } }, 'prod.cache.snapshotRetentionDays: must be at least 1 in production'],
    ['a service using a cache the environment does not have', 'dev', { cache: undefined }, 'dev.services.0.cache: the environment has no cache'],
    ['a bad URL variable name', 'dev', { services: [{ ...web, cache: { urlEnvVar: 'REDIS-URL' } }] }, 'dev.services.0.cache.urlEnvVar: "REDIS-URL" is not a valid environment variable name'],
    ['a worker with a load balancer block', 'dev', { services: [web, { ...worker, loadBalancer: { paths: ['/tasks/*'] } }] }, 'dev.services.1.loadBalancer: a worker takes no HTTP traffic'],
    ['a blue/green worker', 'dev', { services: [web, { ...worker, deployment: { strategy: 'blueGreen' } }] }, 'dev.services.1.deployment.strategy: "blueGreen" needs a load balancer'],
    ['a worker scaling on requests', 'dev', { services: [web, { ...worker, autoscaling: { minCount: 1, maxCount: 2, requestsPerTarget: 100 } }] }, 'dev.services.1.autoscaling.requestsPerTarget'],
    ['queue scaling on a web service', 'dev', { services: [{ ...web, queueScaling: { queueName: 'jobs', messagesPerTask: 10 } }] }, 'dev.services.0.queueScaling: only workers scale on a queue'],
    ['queue scaling from zero tasks', 'dev', { services: [web, { ...worker, desiredCount: 0, autoscaling: { minCount: 0, maxCount: 2 }, queueScaling: { queueName: 'jobs', messagesPerTask: 10 } }] }, 'dev.services.1.autoscaling.minCount: must be at least 1 with queueScaling'],
    ['a bad queue name', 'dev', { services: [web, { ...worker, queueScaling: { queueName: 'jobs queue', messagesPerTask: 10 } }] }, 'dev.services.1.queueScaling.queueName'],
    ['an unknown service kind', 'dev', { services: [{ ...web, kind: 'cron' }] }, 'dev.services.0.kind'],
  ])('refuses %s, naming the field', (_, env, overrides, message) => {
    expect(problems(env, overrides).some((p) => p.startsWith(message))).toBe(true);
  });

  it('accepts a web service and a worker without hosts or paths (only web services share the load balancer)', () => {
    expect(problems('dev', { services: [web, worker], schedules: [nightly] })).toEqual([]);
    expect(problems('dev', { services: [web, { ...web, name: 'admin' }] }).every((p) => p.includes('several services share the load balancer'))).toBe(true);
  });

  it('accepts Redis OSS 7.1, every listed node type shape, and UTC', () => {
    expect(problems('dev', { cache: { ...cache, engine: 'redis', engineVersion: '7.1' }, services: [web], schedules: [{ ...nightly, timezone: 'UTC' }] })).toEqual([]);
    expect(CACHE_NODE_TYPES).toEqual(expect.arrayContaining(['cache.t4g.micro', 'cache.r7g.large', 'cache.m7g.16xlarge', 'cache.r5.24xlarge', 'cache.c7gn.large']));
    for (const type of CACHE_NODE_TYPES) expect(type).toMatch(/^cache\.[a-z0-9]+\.[a-z0-9]+$/);
  });
});

describe('<env>-data holds the cache', () => {
  const prod = synthOf('prod', 'data');
  const dev = synthOf('dev', 'data');

  it('prod: Multi-AZ with two replicas, snapshots kept a week, protected from destroy', () => {
    expect(prod).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      replication_group_id: 'drf-api-prod-cache',
      engine: 'valkey',
      engine_version: '8.0',
      node_type: 'cache.r7g.large',
      num_cache_clusters: 3,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      snapshot_retention_limit: 7,
      subnet_group_name: expect.stringMatching(/aws_elasticache_subnet_group/),
      lifecycle: { prevent_destroy: true },
    });
    expect(resourcesIn(prod, 'aws_elasticache_subnet_group')[0].subnet_ids).toEqual([
      expect.stringMatching(/aws_subnet\.network_data-ap-northeast-1a_/),
      expect.stringMatching(/aws_subnet\.network_data-ap-northeast-1c_/),
      expect.stringMatching(/aws_subnet\.network_data-ap-northeast-1d_/),
    ]);
  });

  it('dev: one node, no snapshots, destroyable', () => {
    expect(dev).toHaveResourceWithProperties(ElasticacheReplicationGroup, {
      node_type: 'cache.t4g.micro',
      num_cache_clusters: 1,
      multi_az_enabled: false,
      snapshot_retention_limit: 0,
      lifecycle: { prevent_destroy: false },
      transit_encryption_enabled: true,
    });
  });

  it('outputs what operators and the app stack need', () => {
    const outputs = JSON.parse(prod).output as Record<string, Json>;
    for (const key of ['cache_primary_endpoint', 'cache_replication_group_id', 'cache_app_user', 'cache_client_security_group_id']) {
      expect(outputs[key].description).toBeTruthy();
    }
  });

  it('is absent without a cache block', () => {
    expect(resourcesIn(Testing.synth(stacksFor('dev', { cache: undefined, services: [web] } as Overrides).data), 'aws_elasticache_replication_group')).toEqual([]);
  });
});

describe('<env>-app: services that use the cache, workers, schedules', () => {
  const prod = synthOf('prod', 'app');
  const staging = synthOf('staging', 'app');
  const family = (synthesized: string, name: string) => resourcesIn(synthesized, 'aws_ecs_task_definition').find((t) => t.family === name)!;
  const containerOf = (synthesized: string, name: string) => JSON.parse(family(synthesized, name).container_definitions)[0];
  const policies = (synthesized: string): Json[] => resourcesIn(synthesized, 'aws_iam_role_policy').map((p) => ({ ...p, document: JSON.parse(p.policy) }));
  const taskDefinitionKey = (synthesized: string, name: string) =>
    Object.entries(JSON.parse(synthesized).resource.aws_ecs_task_definition as Record<string, Json>).find(([, t]) => t.family === name)![0];
  const serviceKey = (synthesized: string, name: string) =>
    Object.entries(JSON.parse(synthesized).resource.aws_ecs_service as Record<string, Json>).find(([, svc]) => svc.name === name)![0];
  /** What a schedule of `service` is created on: that ECS service's task_definition (what it runs), never a task definition's own ARN. */
  const expectStartsOnDeployedRevision = (synthesized: string, schedule: Json, service: string, family: string) => {
    expect(schedule.target.ecs_parameters.task_definition_arn).toBe(`\${aws_ecs_service.${serviceKey(synthesized, service)}.task_definition}`);
    expect(schedule.target.ecs_parameters.task_definition_arn).not.toMatch(/aws_ecs_task_definition/);
    // That attribute is the release's: the service ignores it (refreshed from ECS), and starts on Terraform's revision.
    const ecsService = JSON.parse(synthesized).resource.aws_ecs_service[serviceKey(synthesized, service)];
    expect(ecsService.lifecycle.ignore_changes).toContain('task_definition');
    expect(ecsService.task_definition).toBe(`\${aws_ecs_task_definition.${taskDefinitionKey(synthesized, family)}.arn}`);
  };

  it('gives a service that uses the cache its URL (no password), its clients\' group and elasticache:Connect', () => {
    const env = Object.fromEntries((containerOf(prod, 'drf-api-prod-api').environment as Json[]).map((e) => [e.name, e.value]));
    expect(env.REDIS_URL).toMatch(/^rediss:\/\/drf-api-prod-cache-app@\$\{aws_elasticache_replication_group\.cache_replication-group_.*\.primary_endpoint_address\}:6379\/0$/);
    expect(env.CACHE_IAM_AUTH).toBe('true');
    expect(env.CACHE_USER).toBe('drf-api-prod-cache-app');
    expect(env.CACHE_NAME).toMatch(/aws_elasticache_replication_group\.cache_replication-group_.*\.replication_group_id/);
    const api = resourcesIn(prod, 'aws_ecs_service').find((s) => s.name === 'api')!;
    expect(api.network_configuration.security_groups).toEqual(expect.arrayContaining([expect.stringMatching(/cache_client-sg_/)]));
    const connect = policies(prod).find((p) => p.name === 'cache-connect' && /service-api/.test(JSON.stringify(p.role)))!;
    expect(connect.role).toMatch(/element\(split\("\/", aws_iam_role\.service-api_task-definition_task-role_.*\.arn\), 1\)/);
    expect(connect.document.Statement).toEqual([
      { Sid: 'CacheConnect', Effect: 'Allow', Action: 'elasticache:Connect', Resource: [expect.stringMatching(/aws_elasticache_replication_group\.cache_replication-group_.*\.arn/), expect.stringMatching(/aws_elasticache_user\.cache_app-user_.*\.arn/)] },
    ]);
  });

  it('in bridge mode (staging EC2), the hosts join the cache clients\' group', () => {
    expect(staging).toHaveResourceWithProperties(LaunchTemplate, {
      vpc_security_group_ids: expect.arrayContaining([expect.stringMatching(/cache_client-sg_/), expect.stringMatching(/database_client-sg_/)]),
    });
  });

  it('runs the worker as a service without load balancer, with its own command, rolling with the circuit breaker', () => {
    const service = resourcesIn(prod, 'aws_ecs_service').find((s) => s.name === 'worker')!;
    expect(service.load_balancer).toBeUndefined();
    expect(service.health_check_grace_period_seconds).toBeUndefined();
    expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
    expect(service.deployment_configuration).toEqual({ strategy: 'ROLLING' });
    expect(service.network_configuration.assign_public_ip).toBe(false);
    expect(service.network_configuration.security_groups).toEqual([
      expect.stringMatching(/workers?.*_sg_.*\.id/),
      expect.stringMatching(/database_client-sg_/),
      expect.stringMatching(/cache_client-sg_/),
    ]);
    expect(service.lifecycle.ignore_changes).toEqual(['desired_count', 'task_definition']);
    expect(containerOf(prod, 'drf-api-prod-worker').command).toEqual(['celery', '-A', 'config', 'worker', '--loglevel', 'INFO']);
    expect(resourcesIn(prod, 'aws_lb_target_group').map((tg) => tg.name).join(' ')).not.toMatch(/worker/);
    expect(resourcesIn(prod, 'aws_lb_listener_rule').map((r) => JSON.stringify(r)).join(' ')).not.toMatch(/worker/);
  });

  it('lets nothing in to a worker\'s tasks', () => {
    const workerGroup = resourcesIn(prod, 'aws_security_group').find((g) => g.name === 'drf-api-prod-worker')!;
    expect(workerGroup.description).toMatch(/no inbound/);
    const ingress = resourcesIn(prod, 'aws_vpc_security_group_ingress_rule').map((r) => String(r.security_group_id));
    expect(ingress.some((id) => /worker/.test(id))).toBe(false);
  });

  it('lists workers in the run_task output beside the web services', () => {
    expect(JSON.parse(prod).output.run_task.value.services.worker).toEqual({
      task_family: 'drf-api-prod-worker',
      security_group: expect.stringMatching(/aws_security_group\.workloads_worker-worker/),
      log_group: expect.stringMatching(/cloudwatch_log_group/),
      release_record: expect.stringMatching(/ssm_parameter/),
    });
  });

  it('scales a worker on CPU (and on queue depth when configured), alarms on it and records its releases', () => {
    expect(prod).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: 'drf-api-prod-worker-cpu',
      target_tracking_scaling_policy_configuration: expect.objectContaining({ predefined_metric_specification: { predefined_metric_type: 'ECSServiceAverageCPUUtilization' } }),
    });
    for (const key of ['cpu-high', 'memory-high', 'tasks-below-desired']) {
      expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, { alarm_name: `drf-api-prod-worker-${key}` });
    }
    // Once, through Alarms (no duplicate), and no target-group alarm for a worker.
    expect(resourcesIn(prod, 'aws_cloudwatch_metric_alarm').filter((a) => a.alarm_name.startsWith('drf-api-prod-worker-')).map((a) => a.alarm_name).sort()).toEqual([
      'drf-api-prod-worker-cpu-high',
      'drf-api-prod-worker-memory-high',
      'drf-api-prod-worker-tasks-below-desired',
    ]);
    expect(prod).toHaveResourceWithProperties(SsmParameter, { name: '/drf-api/prod/releases/worker' });
    const queued = Testing.synth(
      stacksFor('dev', { services: [web, { ...worker, cache: {}, queueScaling: { queueName: 'celery-jobs', messagesPerTask: 20 } }] } as Overrides).app,
    );
    expect(queued).toHaveResourceWithProperties(AppautoscalingPolicy, {
      name: 'drf-api-dev-worker-queue',
      target_tracking_scaling_policy_configuration: expect.objectContaining({
        target_value: 20,
        customized_metric_specification: {
          metrics: expect.arrayContaining([
            expect.objectContaining({ id: 'backlog', expression: 'visible / running', return_data: true }),
            expect.objectContaining({
              id: 'visible',
              metric_stat: expect.objectContaining({ metric: expect.objectContaining({ metric_name: 'ApproximateNumberOfMessagesVisible', dimensions: [{ name: 'QueueName', value: 'celery-jobs' }] }) }),
            }),
          ]),
        },
      }),
    });
    expect(resourcesIn(Testing.synth(stacksFor('dev', { services: [web, worker] } as Overrides).app), 'aws_appautoscaling_policy').map((p) => p.name)).not.toContain('drf-api-dev-worker-queue');
  });

  it('schedules clearsessions with the api family, the api\'s groups, no public IP, at 03:00 Tokyo time', () => {
    expect(prod).toHaveResourceWithProperties(SchedulerSchedule, {
      name: 'drf-api-prod-clearsessions',
      schedule_expression: 'cron(0 3 * * ? *)',
      schedule_expression_timezone: 'Asia/Tokyo',
      flexible_time_window: { mode: 'OFF' },
    });
    const target = resourcesIn(prod, 'aws_scheduler_schedule')[0].target;
    // Created on the revision the api service runs (releases re-point it: next tests).
    expectStartsOnDeployedRevision(prod, resourcesIn(prod, 'aws_scheduler_schedule')[0], 'api', 'drf-api-prod-api');
    expect(target.ecs_parameters.capacity_provider_strategy).toEqual([{ capacity_provider: 'FARGATE', weight: 1 }]);
    expect(target.ecs_parameters.network_configuration).toEqual({
      assign_public_ip: false,
      subnets: expect.anything(),
      security_groups: [expect.stringMatching(/service-api_sg_.*\.id/), expect.stringMatching(/database_client-sg_/), expect.stringMatching(/cache_client-sg_/)],
    });
    expect(JSON.parse(target.input).containerOverrides).toEqual([{ name: 'api', command: ['python', 'manage.py', 'clearsessions'] }]);
    const pass = policies(prod).find((p) => /schedule-clearsessions/.test(JSON.stringify(p.role)))!.document.Statement.find((s: Json) => s.Sid === 'PassTheFamilysRoles');
    expect(pass.Resource).toEqual([expect.stringMatching(/:role\/drf-api-prod-api-task$/), expect.stringMatching(/:role\/drf-api-prod-api-execution$/)]);
    const outputs = JSON.parse(prod).output as Record<string, Json>;
    expect(Object.values(outputs).some((o) => o.description?.includes('aws scheduler get-schedule'))).toBe(true);
  });

  it('keeps scheduled runs on the released revision when a Terraform change registers a new template revision', () => {
    // A config change to the api's task definition (a new environment variable): Terraform registers a
    // new revision with the template image; the schedule is untouched and ignores its revision.
    const changed = Testing.synth(
      stacksFor('prod', {
        services: environments.prod.services.map((svc) => (svc.name === 'api' ? { ...svc, container: { ...svc.container, environment: { ...svc.container?.environment, FEATURE_X: 'on' } } } : svc)),
      } as Overrides).app,
    );
    expect(containerOf(changed, 'drf-api-prod-api').environment).toEqual(expect.arrayContaining([{ name: 'FEATURE_X', value: 'on' }]));
    expect(family(changed, 'drf-api-prod-api').container_definitions).not.toBe(family(prod, 'drf-api-prod-api').container_definitions);
    const [before, after] = [prod, changed].map((s) => resourcesIn(s, 'aws_scheduler_schedule')[0]);
    expect(after).toEqual(before);
    expect(after.lifecycle.ignore_changes).toEqual(['target[0].ecs_parameters[0].task_definition_arn']);
    // Whatever revision a release points it at, the scheduler role may run it (any revision of the family, no other family).
    const run = policies(prod).find((p) => /schedule-clearsessions/.test(JSON.stringify(p.role)))!.document.Statement.find((st: Json) => st.Sid === 'RunTheFamilyInTheCluster');
    expect(run.Resource).toEqual([expect.stringMatching(/:task-definition\/drf-api-prod-api$/), expect.stringMatching(/:task-definition\/drf-api-prod-api:\*$/)]);
  });

  it('starts a schedule added to a live environment on the released revision, not the first-deploy template', () => {
    // A schedule added (or replaced) after releases: created on the api service's task_definition, which
    // holds what the last release deployed (the service ignores it), not Terraform's template revision.
    const added = Testing.synth(stacksFor('prod', { schedules: [...(environments.prod.schedules ?? []), { ...nightly, name: 'report', service: 'api' }] } as Overrides).app);
    const schedules = resourcesIn(added, 'aws_scheduler_schedule');
    expect(schedules.map((sc) => sc.name).sort()).toEqual(['drf-api-prod-clearsessions', 'drf-api-prod-report']);
    for (const schedule of schedules) expectStartsOnDeployedRevision(added, schedule, 'api', 'drf-api-prod-api');
  });

  it('starts a worker\'s schedule on the revision the worker service runs', () => {
    const withWorkerJob = Testing.synth(stacksFor('prod', { schedules: [{ ...nightly, name: 'purge', service: 'worker' }] } as Overrides).app);
    expectStartsOnDeployedRevision(withWorkerJob, resourcesIn(withWorkerJob, 'aws_scheduler_schedule')[0], 'worker', 'drf-api-prod-worker');
  });

  it('in staging the schedule runs the bridge-mode api on the EC2 capacity provider, without awsvpc settings', () => {
    const params = resourcesIn(staging, 'aws_scheduler_schedule')[0].target.ecs_parameters;
    expect(params.network_configuration).toBeUndefined();
    expect(params.capacity_provider_strategy).toEqual([{ capacity_provider: expect.stringMatching(/ec2/), weight: 1 }]);
  });

  it('alarms on every cache node in the app stack, on the environment topic', () => {
    for (const node of ['001', '002', '003']) {
      expect(prod).toHaveResourceWithProperties(CloudwatchMetricAlarm, {
        alarm_name: `drf-api-prod-cache-${node}-evictions`,
        dimensions: { CacheClusterId: `drf-api-prod-cache-${node}` },
        alarm_actions: [expect.stringMatching(/aws_sns_topic\.alarms_topic/)],
      });
    }
    expect(resourcesIn(prod, 'aws_cloudwatch_metric_alarm').filter((a) => /-cache-\d{3}-/.test(a.alarm_name))).toHaveLength(15);
  });

  it('has no worker, schedule or cache alarm where none is configured', () => {
    const dev = Testing.synth(stacksFor('dev', { cache: undefined, services: [web] } as Overrides).app);
    expect(resourcesIn(dev, 'aws_ecs_service')).toHaveLength(1);
    expect(resourcesIn(dev, 'aws_scheduler_schedule')).toEqual([]);
    expect(resourcesIn(dev, 'aws_cloudwatch_metric_alarm').filter((a) => /cache/.test(a.alarm_name))).toEqual([]);
    expect(resourcesIn(dev, 'aws_iam_role_policy').filter((p) => p.name === 'cache-connect')).toEqual([]);
  });

  it('keeps a web service\'s listener-rule priority when a worker comes first in the list', () => {
    const synthesized = Testing.synth(stacksFor('dev', { services: [worker, web] } as Overrides).app);
    expect(resourcesIn(synthesized, 'aws_ecs_service').map((s) => s.name).sort()).toEqual(['api', 'worker']);
    expect(resourcesIn(synthesized, 'aws_lb_listener_rule')[0].priority).toBe(200);
    expect(synthesized).toHaveResource(EcsService);
  });
});
