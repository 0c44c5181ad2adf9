import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagramCommand } from '../src/diagram/diagram-command';
import { toDot, toMermaid } from '../src/diagram/render';
import { securityGroupKey, topologyOf } from '../src/diagram/topology';
import type { SynthesizedStack } from '../src/synth-output';
import { recordingIo } from './fixtures/recording-io';
import { sharedSynthDir, synthOf } from './helpers';

/** The environment's stacks as tools read them (metadata aside, which topology does not use), shared across test files. */
function synthesized(env: string): SynthesizedStack[] {
  return (['bootstrap', 'network', 'data', 'app'] as const).map((stack) => ({ name: `${env}-${stack}`, dependencies: [], json: JSON.parse(synthOf(env, stack)) }));
}

describe('topology from synthesized JSON (prod)', () => {
  const topology = topologyOf('prod', synthesized('prod'));

  it('has the VPC, subnets by tier and AZ, NAT per AZ and the endpoints', () => {
    expect(topology.vpcCidr).toBe('10.30.0.0/16');
    expect(topology.subnets.filter((s) => s.tier === 'data').map((s) => s.cidr).sort()).toEqual(['10.30.144.0/22', '10.30.148.0/22', '10.30.152.0/22']);
    expect(topology.natAzs.sort()).toEqual(['ap-northeast-1a', 'ap-northeast-1c', 'ap-northeast-1d']);
    expect(topology.endpoints).toEqual(expect.arrayContaining(['s3', 'ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'ssm', 'ssmmessages']));
  });

  it('has the ALB, the services and the databases', () => {
    expect(topology.loadBalancer?.label).toBe('ALB drf-api-prod (dual-stack)');
    expect(topology.services).toEqual(
      expect.arrayContaining([
        { id: 'svc_api', name: 'api', capacity: 'FARGATE, 1024 CPU / 2048 MiB', release: 'blue/green', kind: 'web' },
        expect.objectContaining({ id: 'svc_worker', release: 'rolling', kind: 'worker' }),
      ]),
    );
    expect(topology.databases.map((d) => d.label.split('\n')[0])).toEqual(['drf-api-prod-postgres', 'drf-api-prod-postgres-replica-1']);
  });

  it('derives the allowed traffic from the security-group rules, across stacks', () => {
    expect(topology.flows).toEqual(
      expect.arrayContaining([
        { from: 'internet', to: 'alb', ports: ':80 :443' },
        { from: '10.200.0.0/16', to: 'alb', ports: ':443 x-release-test' },
        { from: 'alb', to: 'svc_api', ports: ':8000' },
        { from: 'svc_api', to: 'db_drf_api_prod_postgres', ports: ':5432' },
      ]),
    );
    expect(topology.flows.some((f) => f.from === 'internet' && f.to !== 'alb')).toBe(false);
  });

  it('has the cache in the data tier, reached by the services that use it on its port', () => {
    expect(topology.caches).toEqual([
      { id: 'cache_drf_api_prod_cache', label: 'drf-api-prod-cache\nElastiCache valkey 8.0\ncache.r7g.large, primary + 2 replicas, Multi-AZ' },
    ]);
    expect(topology.flows).toEqual(
      expect.arrayContaining([
        { from: 'svc_api', to: 'cache_drf_api_prod_cache', ports: ':6379' },
        { from: 'svc_worker', to: 'cache_drf_api_prod_cache', ports: ':6379' },
      ]),
    );
    expect(topology.flows.filter((f) => f.to === 'cache_drf_api_prod_cache').map((f) => f.from).sort()).toEqual(['svc_api', 'svc_worker']);
  });

  it('draws no load balancer edge to a worker', () => {
    expect(topology.flows.filter((f) => f.to === 'svc_worker')).toEqual([]);
  });

  it('has the nightly schedule, running its service with the command override', () => {
    expect(topology.schedules).toEqual([
      {
        id: 'sched_drf_api_prod_clearsessions',
        name: 'drf-api-prod-clearsessions',
        label: 'cron(0 3 * * ? *)\nAsia/Tokyo',
        command: 'python manage.py clearsessions',
        service: 'svc_api',
      },
    ]);
  });

  it('reads security group references local and remote alike', () => {
    expect(securityGroupKey('${aws_security_group.database_client-sg_AF40D5D2.id}')).toBe('database_client-sg_AF40D5D2');
    expect(securityGroupKey('${data.terraform_remote_state.x.outputs.cross-stack-output-aws_security_groupdatabase_client-sg_AF40D5D2id}')).toBe('database_client-sg_AF40D5D2');
  });

  it('renders DOT and Mermaid with every tier, node and flow', () => {
    const dot = toDot(topology, 'prod');
    expect(dot).toContain('subgraph cluster_public');
    expect(dot).toContain('alb -> svc_api [label=" :8000 "');
    expect(dot).toContain('svc_api -> db_drf_api_prod_postgres [label=" :5432 "');
    const mermaid = toMermaid(topology, 'prod');
    expect(mermaid).toContain('flowchart TB');
    expect(mermaid).toContain('internet -->|":80 :443"| alb');
    expect(mermaid).toContain('ap-northeast-1a 10.30.128.0/22');
  });

  it('renders the cache inside the data tier, the worker, and the schedule → service edge', () => {
    const dot = toDot(topology, 'prod');
    const dataTier = dot.slice(dot.indexOf('subgraph cluster_data'), dot.indexOf('\n    }', dot.indexOf('subgraph cluster_data')));
    expect(dataTier).toContain('cache_drf_api_prod_cache [label="drf-api-prod-cache\\nElastiCache valkey 8.0');
    expect(dot).toContain('svc_worker -> cache_drf_api_prod_cache [label=" :6379 "');
    expect(dot).toContain('svc_worker [label="ECS service worker\\nworker (no load balancer)');
    expect(dot).toContain('sched_drf_api_prod_clearsessions -> svc_api [label=" RunTask: python manage.py clearsessions ", style=dotted');
    expect(dot).not.toMatch(/alb -> svc_worker/);
    const mermaid = toMermaid(topology, 'prod');
    const data = mermaid.slice(mermaid.indexOf('subgraph data'), mermaid.indexOf('    end', mermaid.indexOf('subgraph data')));
    expect(data).toContain('cache_drf_api_prod_cache[("drf-api-prod-cache');
    expect(mermaid).toContain('svc_api -->|":6379"| cache_drf_api_prod_cache');
    expect(mermaid).toContain('sched_drf_api_prod_clearsessions -.->|"RunTask: python manage.py clearsessions"| svc_api');
  });
});

describe('schedules read from JSON alone', () => {
  // A hand-written app stack: the schedule references the task definition resource (not an ARN string) and is off.
  const app = {
    name: 'x-app',
    dependencies: [],
    json: {
      resource: {
        aws_ecs_task_definition: { td: { family: 'p-x-jobs' } },
        aws_ecs_service: { s: { name: 'jobs', task_definition: '${aws_ecs_task_definition.td.arn}' } },
        aws_scheduler_schedule: {
          a: {
            name: 'p-x-report',
            schedule_expression: 'rate(1 hour)',
            state: 'DISABLED',
            target: { ecs_parameters: { task_definition_arn: '${aws_ecs_task_definition.td.arn_without_revision}' }, input: 'not json' },
          },
          b: { name: 'p-x-orphan', schedule_expression: 'rate(5 minutes)', schedule_expression_timezone: 'Asia/Tokyo', target: { ecs_parameters: { task_definition_arn: 'arn:aws:ecs:ap-northeast-1:123456789012:task-definition/other:3' } } },
        },
      },
    },
  };
  const topology = topologyOf('x', [app]);

  it('finds the service through a task definition reference, defaults the time zone to UTC, marks a disabled schedule', () => {
    expect(topology.services).toEqual([expect.objectContaining({ id: 'svc_jobs', kind: 'worker' })]);
    expect(topology.schedules[0]).toEqual({ id: 'sched_p_x_report', name: 'p-x-report', label: 'rate(1 hour)\nUTC\ndisabled', command: '', service: 'svc_jobs' });
  });

  it('draws no edge for a schedule whose family no service of the stack has', () => {
    expect(topology.schedules[1].service).toBeUndefined();
    expect(toDot(topology, 'x')).not.toContain('sched_p_x_orphan ->');
    expect(toMermaid(topology, 'x')).not.toContain('sched_p_x_orphan -.->');
  });
});

describe('staging (EC2, bridge mode)', () => {
  it('shows the ALB reaching the EC2 hosts on the dynamic port range', () => {
    const topology = topologyOf('staging', synthesized('staging'));
    expect(topology.services[0]).toEqual(expect.objectContaining({ capacity: 'EC2, 512 CPU / 1024 MiB', release: 'rolling' }));
    expect(topology.flows).toEqual(expect.arrayContaining([{ from: 'alb', to: 'svc_api', ports: ':32768-65535' }]));
  });
});

describe('npm run diagram', () => {
  // A process of its own: Graphviz's WebAssembly build is an ES module, which jest's CommonJS runtime cannot import.
  it('writes an SVG and Mermaid file per environment of the output, without a native Graphviz', () => {
    const out = mkdtempSync(join(tmpdir(), 'diagram-'));
    const result = spawnSync(process.execPath, ['-r', './scripts/ts-register.cjs', 'scripts/diagram.ts', '--dir', sharedSynthDir(), '--out', out], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['dev.mmd', 'dev.svg', 'prod.mmd', 'prod.svg', 'staging.mmd', 'staging.svg']);
    const svg = readFileSync(join(out, 'dev.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg.replace(/&#45;/g, '-')).toContain('ALB drf-api-dev');
    expect(readFileSync(join(out, 'dev.mmd'), 'utf8')).toContain('flowchart TB');
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(
      ['dev', 'prod', 'staging'].map((env) => `${env}: ${join(out, `${env}.svg`)}, ${join(out, `${env}.mmd`)}`),
    );
  });

  it('unknown options: exit 2 with the usage', async () => {
    const { io, stderr } = recordingIo();
    expect(await diagramCommand(['--frobnicate'], io)).toBe(2);
    expect(stderr()).toContain('usage: npm run diagram');
  });
});
