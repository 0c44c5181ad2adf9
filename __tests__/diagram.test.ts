import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { buildEnvironment } from '../src/app';
import { toDot, toMermaid } from '../src/diagram/render';
import { securityGroupKey, topologyOf } from '../src/diagram/topology';
import { readSynthOutput } from '../src/synth-output';
import { configFor } from './helpers';

function synthesized(env: string) {
  const app = Testing.app();
  buildEnvironment(app, configFor(env));
  app.synth();
  return readSynthOutput(app.outdir);
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
        { id: 'svc_api', name: 'api', capacity: 'FARGATE, 1024 CPU / 2048 MiB', release: 'blue/green' },
        expect.objectContaining({ id: 'svc_worker', release: 'rolling' }),
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
});

describe('staging (EC2, bridge mode)', () => {
  it('shows the ALB reaching the EC2 hosts on the dynamic port range', () => {
    const topology = topologyOf('staging', synthesized('staging'));
    expect(topology.services[0]).toEqual(expect.objectContaining({ capacity: 'EC2, 512 CPU / 1024 MiB', release: 'rolling' }));
    expect(topology.flows).toEqual(expect.arrayContaining([{ from: 'alb', to: 'svc_api', ports: ':32768-65535' }]));
  });
});

describe('npm run diagram (scripts/diagram.ts)', () => {
  it('writes an SVG and Mermaid file per environment, without a native Graphviz', () => {
    const out = mkdtempSync(join(tmpdir(), 'diagram-'));
    const result = spawnSync(process.execPath, ['-r', './scripts/ts-register.cjs', 'scripts/diagram.ts', '--out', out], {
      cwd: join(__dirname, '..'),
      env: { ...process.env, ENVIRONMENTS: 'dev' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    const svg = readFileSync(join(out, 'dev.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg.replace(/&#45;/g, '-')).toContain('ALB drf-api-dev');
    expect(readFileSync(join(out, 'dev.mmd'), 'utf8')).toContain('flowchart TB');
  });
});
