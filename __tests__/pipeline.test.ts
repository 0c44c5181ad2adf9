// The CI pipelines and release files, read as their tools would: valid YAML that names only
// npm scripts and stacks that exist, and deploys from main only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { buildEnvironment } from '../src/app';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';

type Json = Record<string, any>;
const root = join(__dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
const app = Testing.app();
const stackNames = loadConfig(project, environments).flatMap((config) => Object.values(buildEnvironment(app, config)).map((s) => s.node.id));

/** Every `npm run <script>` and every `<env>-<component>` stack named in a text. */
function references(text: string): { scripts: string[]; stacks: string[] } {
  const expanded = text
    .replace(/<< parameters\.env >>|\$\{\{ (matrix|inputs)\.env \}\}/g, '{ENV}')
    .split('\n')
    .flatMap((line) => (line.includes('{ENV}') ? ['dev', 'staging', 'prod'].map((env) => line.replaceAll('{ENV}', env)) : [line]))
    .join('\n');
  return {
    scripts: [...expanded.matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1]),
    stacks: [...expanded.matchAll(/\b((?:dev|staging|prod)-(?:bootstrap|network|data|app))\b/g)].map((m) => m[1]),
  };
}

describe('CircleCI (.circleci/config.yml)', () => {
  const text = read('.circleci/config.yml');
  const config = parse(text) as Json;

  it('is valid YAML with test, plan and deploy jobs', () => {
    expect(Object.keys(config.jobs)).toEqual(['test', 'plan', 'deploy']);
  });

  it('names only npm scripts and stacks that exist', () => {
    const refs = references(text);
    expect(refs.scripts.length).toBeGreaterThan(0);
    for (const script of refs.scripts) expect(scripts).toContain(script);
    expect(refs.stacks).toEqual(expect.arrayContaining(['prod-network', 'prod-data', 'prod-app']));
    for (const stack of refs.stacks) expect(stackNames).toContain(stack);
  });

  it('tests, validates and plans every branch, storing plans as artifacts', () => {
    const jobs = config.workflows.infrastructure.jobs as Array<string | Json>;
    expect(jobs[0]).toBe('test');
    const plan = (jobs.find((j) => typeof j === 'object' && j.plan) as Json).plan;
    expect(plan.filters).toBeUndefined();
    expect(JSON.stringify(config.jobs.plan.steps)).toContain('store_artifacts');
    expect(JSON.stringify(config.jobs.test.steps)).toContain('npm test');
  });

  it('deploys from main only, in order, with an approval before prod', () => {
    const jobs = (config.workflows.infrastructure.jobs as Json[]).filter((j) => typeof j === 'object');
    const deploys = jobs.filter((j) => j.deploy).map((j) => j.deploy);
    expect(deploys.map((d) => d.env)).toEqual(['dev', 'staging', 'prod']);
    for (const job of [...deploys, jobs.find((j) => j['approve-prod'])!['approve-prod']]) expect(job.filters).toEqual({ branches: { only: 'main' } });
    expect(jobs.find((j) => j['approve-prod'])!['approve-prod'].type).toBe('approval');
    expect(deploys[2].requires).toEqual(['approve-prod']);
    expect(config.jobs.deploy.steps.at(-1).run.command).toMatch(/network .*-data .*-app/);
  });

  it('assumes roles by OIDC and takes the image tag from the commit SHA', () => {
    expect(text).toContain('assume-role-with-web-identity');
    expect(text).toContain('CIRCLE_OIDC_TOKEN_V2');
    expect(text).not.toMatch(/AWS_SECRET_ACCESS_KEY=[A-Za-z0-9/+]{20,}/);
    expect(text).toContain('IMAGE_TAG=${PIPELINE_IMAGE_TAG:-$CIRCLE_SHA1}');
  });
});

describe('GitHub Actions (.github/workflows)', () => {
  const mainText = read('.github/workflows/infrastructure.yml');
  const deployText = read('.github/workflows/deploy.yml');
  const main = parse(mainText) as Json;
  const deploy = parse(deployText) as Json;

  it('are valid YAML with the same stages', () => {
    expect(Object.keys(main.jobs)).toEqual(['test', 'plan', 'deploy-dev', 'deploy-staging', 'deploy-prod']);
    expect(main.jobs.plan.strategy.matrix.env).toEqual(['dev', 'staging', 'prod']);
  });

  it('name only npm scripts and stacks that exist', () => {
    const refs = references(`${mainText}\n${deployText.replace(/\$\{\{ inputs\.env \}\}/g, '{ENV}')}`);
    for (const script of refs.scripts) expect(scripts).toContain(script);
    for (const stack of refs.stacks) expect(stackNames).toContain(stack);
    expect(refs.scripts).toEqual(expect.arrayContaining(['synth', 'diff', 'deploy']));
  });

  it('deploy only from main, prod behind the protected environment', () => {
    for (const job of ['deploy-dev', 'deploy-staging', 'deploy-prod']) expect(main.jobs[job].if).toContain("github.ref == 'refs/heads/main'");
    expect(deploy.jobs.deploy.if).toBe("github.ref == 'refs/heads/main'");
    expect(main.jobs['deploy-prod'].with['github-environment']).toBe('production');
    expect(main.jobs['deploy-prod'].needs).toBe('deploy-staging');
  });

  it('use OIDC (id-token: write) and no stored keys', () => {
    expect(main.jobs.plan.permissions['id-token']).toBe('write');
    expect(deploy.permissions['id-token']).toBe('write');
    expect(`${mainText}${deployText}`).not.toMatch(/aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
  });
});

describe('help and README', () => {
  it('name only npm scripts that exist', () => {
    for (const file of ['help', 'README.md']) {
      const named = references(read(file)).scripts;
      expect(named.length).toBeGreaterThan(3);
      for (const script of named) expect(scripts).toContain(script);
    }
  });
});

describe('blue/green release files', () => {
  it('the appspec template is valid YAML for an ECS service with placeholders the script fills', () => {
    const appspec = parse(read('deploy/appspec.yaml').replace('<CONTAINER_PORT>', '8000')) as Json;
    expect(appspec.Resources[0].TargetService).toEqual({
      Type: 'AWS::ECS::Service',
      Properties: { TaskDefinition: '<TASK_DEFINITION_ARN>', LoadBalancerInfo: { ContainerName: '<CONTAINER_NAME>', ContainerPort: 8000 } },
    });
    const script = read('scripts/release-blue-green.sh');
    for (const placeholder of ['<TASK_DEFINITION_ARN>', '<CONTAINER_NAME>', '<CONTAINER_PORT>']) expect(script).toContain(placeholder);
    expect(script).toContain('aws deploy create-deployment');
  });
});
