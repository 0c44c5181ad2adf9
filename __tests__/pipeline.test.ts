// The CI pipelines, read as their tools would: valid YAML that names only npm scripts and stacks that
// exist; plans on every branch with the read-only role; applies from main only, after an approval, of
// exactly the saved plans; releases dev → staging → prod with an approval before prod.
import { readdirSync, readFileSync } from 'node:fs';
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
const workflowFiles = readdirSync(join(root, '.github', 'workflows')).map((f) => `.github/workflows/${f}`);
const pipelineTexts = ['.circleci/config.yml', ...workflowFiles].map((f) => [f, read(f)] as const);

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

const runs = (steps: Json[]) => steps.map((s) => (typeof s.run === 'string' ? s.run : (s.run?.command ?? ''))).filter(Boolean).join('\n');

describe('every pipeline file', () => {
  it.each(pipelineTexts)('%s: no --auto-approve, no IMAGE_TAG, no stored AWS keys, only existing npm scripts and stacks', (_file, text) => {
    expect(text).not.toMatch(/auto-approve/);
    expect(text).not.toMatch(/IMAGE_TAG/);
    expect(text).not.toMatch(/aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    expect(text).not.toMatch(/cdktf (deploy|diff)|npm run (deploy|diff)/);
    for (const script of references(text).scripts) expect(scripts).toContain(script);
    for (const stack of references(text).stacks) expect(stackNames).toContain(stack);
  });
});

describe('GitHub Actions: infrastructure.yml + terraform.yml', () => {
  const main = parse(read('.github/workflows/infrastructure.yml')) as Json;
  const env = parse(read('.github/workflows/terraform.yml')) as Json;
  const envJobs = ['dev', 'staging', 'prod'];

  it('branches and pull requests: plan every environment, never apply', () => {
    expect(Object.keys(main.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(main.jobs.plan.strategy.matrix.env).toEqual(['dev', 'staging', 'prod']);
    expect(main.jobs.plan.uses).toBe('./.github/workflows/terraform.yml');
    expect(main.jobs.plan.with).toEqual({ env: '${{ matrix.env }}', apply: false });
    expect(main.jobs.plan.needs).toBe('test');
    expect(runs(main.jobs.test.steps)).toContain('npm test');
    expect(runs(main.jobs.test.steps)).toContain('npm run validate -- --terraform');
  });

  it('main: dev → staging → prod, each plan → approval (GitHub environment) → apply; prod behind "production"', () => {
    for (const job of envJobs) {
      expect(main.jobs[job].if).toContain("github.ref == 'refs/heads/main'");
      expect(main.jobs[job].with).toEqual(expect.objectContaining({ env: job, apply: true }));
    }
    expect(main.jobs.dev.with['github-environment']).toBe('dev');
    expect(main.jobs.staging.with['github-environment']).toBe('staging');
    expect(main.jobs.prod.with['github-environment']).toBe('production');
    expect([main.jobs.staging.needs, main.jobs.prod.needs]).toEqual(['dev', 'staging']);
  });

  it('one run per environment at a time (main queues, never cancels an apply)', () => {
    for (const job of envJobs) expect(main.jobs[job].concurrency).toEqual({ group: `terraform-${job}`, 'cancel-in-progress': false });
    expect(main.jobs.plan.concurrency.group).toContain('${{ matrix.env }}');
  });

  it('plan job: read-only plan role, no environment, npm run plan, review in the summary and one PR comment per env, plans as a short-lived artifact', () => {
    const plan = env.jobs.plan;
    expect(plan.environment).toBeUndefined();
    const credentials = plan.steps.find((s: Json) => String(s.uses).startsWith('aws-actions/configure-aws-credentials'));
    expect(credentials.with['role-to-assume']).toContain("'AWS_PLAN_ROLE_ARN_{0}'");
    expect(runs(plan.steps)).toContain('npm run plan -- ${{ inputs.env }}');
    expect(runs(plan.steps)).toContain('GITHUB_STEP_SUMMARY');
    const comment = plan.steps.find((s: Json) => String(s.uses).startsWith('actions/github-script'));
    expect(comment.if).toContain("github.event_name == 'pull_request'");
    expect(comment.with.script).toContain('terraform-plan:${env}');
    expect(comment.with.script).toContain('updateComment');
    const upload = plan.steps.find((s: Json) => String(s.uses).startsWith('actions/upload-artifact') && String(s.with.path).startsWith('plans/'));
    expect(upload.with).toEqual(expect.objectContaining({ name: 'plans-${{ inputs.env }}', path: 'plans/${{ inputs.env }}/' }));
    expect(upload.with['retention-days']).toBeLessThanOrEqual(7);
  });

  it('apply job: after the plan, in the GitHub environment, downloads the saved plans and applies them with the apply role', () => {
    const apply = env.jobs.apply;
    expect(apply.needs).toBe('plan');
    expect(apply.if).toBe('inputs.apply');
    expect(apply.environment).toBe('${{ inputs.github-environment }}');
    const download = apply.steps.find((s: Json) => String(s.uses).startsWith('actions/download-artifact'));
    expect(download.with).toEqual({ name: 'plans-${{ inputs.env }}', path: 'plans/${{ inputs.env }}' });
    const credentials = apply.steps.find((s: Json) => String(s.uses).startsWith('aws-actions/configure-aws-credentials'));
    expect(credentials.with['role-to-assume']).toContain("'AWS_APPLY_ROLE_ARN_{0}'");
    expect(runs(apply.steps)).toBe('npm ci --no-audit --no-fund\nnpm run apply -- ${{ inputs.env }}');
    expect(apply.steps.indexOf(download)).toBeLessThan(apply.steps.findIndex((s: Json) => String(s.run).startsWith('npm run apply')));
    expect(env.env.ENV_SUFFIX).toContain('"prod":"PROD"');
  });

  it('OIDC (id-token: write) and a provider plugin cache kept between runs', () => {
    expect(main.jobs.plan.permissions['id-token']).toBe('write');
    expect(env.permissions['id-token']).toBe('write');
    for (const doc of [main, env]) expect(doc.env.TF_PLUGIN_CACHE_DIR).toBe('/home/runner/.terraform.d/plugin-cache');
    for (const job of [env.jobs.plan, env.jobs.apply, main.jobs.test]) {
      const cache = job.steps.find((s: Json) => String(s.uses).startsWith('actions/cache'));
      expect(cache.with.path).toBe('/home/runner/.terraform.d/plugin-cache');
      expect(cache.with.key).toContain("hashFiles('package-lock.json', 'locks/*.hcl')");
    }
  });
});

describe('GitHub Actions: release.yml', () => {
  const release = parse(read('.github/workflows/release.yml')) as Json;

  it('runs by hand or from another workflow, with inputs env, service and image tag', () => {
    for (const trigger of ['workflow_dispatch', 'workflow_call']) {
      expect(Object.keys(release.on[trigger].inputs)).toEqual(expect.arrayContaining(['env', 'service', 'image_tag']));
    }
    expect(release.on.workflow_dispatch.inputs.env.options).toEqual(['dev', 'staging', 'prod']);
  });

  it('dev → staging → prod, prod behind "production", one release per environment at a time, no terraform', () => {
    const jobs = release.jobs;
    expect(Object.keys(jobs)).toEqual(['release-dev', 'release-staging', 'release-prod']);
    expect([jobs['release-dev'].environment, jobs['release-staging'].environment, jobs['release-prod'].environment]).toEqual(['dev', 'staging', 'production']);
    expect([jobs['release-staging'].needs, jobs['release-prod'].needs]).toEqual(['release-dev', 'release-staging']);
    for (const [name, job] of Object.entries<Json>(jobs)) {
      const target = name.replace('release-', '');
      expect(job.concurrency).toEqual({ group: `release-${target}`, 'cancel-in-progress': false });
      expect(runs(job.steps)).toContain(`npm run release -- ${target} "$RELEASE_SERVICE" "$RELEASE_TAG"`);
      expect(JSON.stringify(job.steps)).toContain(`AWS_RELEASE_ROLE_ARN_${target.toUpperCase()}`);
    }
    expect(release.env).toEqual({ RELEASE_SERVICE: '${{ inputs.service }}', RELEASE_TAG: '${{ inputs.image_tag }}' });
    expect(read('.github/workflows/release.yml')).not.toContain('setup-terraform');
  });
});

describe('CircleCI (.circleci/config.yml)', () => {
  const config = parse(read('.circleci/config.yml')) as Json;
  const infra = config.workflows.infrastructure.jobs as Array<string | Json>;
  /** A job of the workflow by its name (or, unnamed, by the job it runs). */
  const entry = (name: string): Json =>
    infra
      .filter((j): j is Json => typeof j === 'object')
      .map((j): Json => ({ key: Object.keys(j)[0], ...(Object.values(j)[0] as Json) }))
      .find((j) => (j.name ?? j.key) === name)!;

  it('has test, plan, apply and release jobs', () => {
    expect(Object.keys(config.jobs)).toEqual(['test', 'plan', 'apply', 'release']);
  });

  it('every branch: test, then plan every environment with the plan role; saved plans to the workspace, not to artifacts', () => {
    expect(infra[0]).toBe('test');
    const plan = entry('plan-<< matrix.env >>');
    expect(plan.filters).toBeUndefined();
    expect(plan.matrix.parameters.env).toEqual(['dev', 'staging', 'prod']);
    const steps = config.jobs.plan.steps as Json[];
    expect(runs(steps)).toContain('npm run plan -- << parameters.env >>');
    expect(steps).toEqual(expect.arrayContaining([{ 'aws-role': { role: 'PLAN', env: '<< parameters.env >>' } }, { persist_to_workspace: { root: '.', paths: ['plans/<< parameters.env >>'] } }]));
    const artifacts = steps.filter((s) => s.store_artifacts).map((s) => s.store_artifacts.path);
    expect(artifacts).toEqual(['reports']);
  });

  it('main: approval job → apply of the attached saved plans, dev → staging → prod, in restricted contexts, serialized per environment', () => {
    for (const env of ['dev', 'staging', 'prod']) {
      const approve = entry(`approve-${env}`);
      expect(approve.type).toBe('approval');
      expect(approve.requires).toContain(`plan-${env}`);
      const apply = entry(`apply-${env}`);
      expect(apply).toEqual(expect.objectContaining({ env, context: `aws-${env}`, requires: [`approve-${env}`], filters: { branches: { only: 'main' } } }));
      expect(apply['serial-group']).toBe(`<< pipeline.project.slug >>/terraform-${env}`);
      expect(approve.filters).toEqual({ branches: { only: 'main' } });
    }
    expect(entry('approve-staging').requires).toContain('apply-dev');
    expect(entry('approve-prod').requires).toContain('apply-staging');
    const steps = config.jobs.apply.steps as Json[];
    expect(steps).toEqual(expect.arrayContaining([{ attach_workspace: { at: '.' } }, { 'aws-role': { role: 'APPLY', env: '<< parameters.env >>' } }]));
    expect(runs(steps)).toBe('npm run apply -- << parameters.env >>');
  });

  it('roles by OIDC web identity from the variables named for the role and environment; a cached plugin dir', () => {
    const text = read('.circleci/config.yml');
    expect(text).toContain('CIRCLE_OIDC_TOKEN_V2');
    expect(text).toContain('role_var="AWS_<< parameters.role >>_ROLE_ARN_${suffix}"');
    expect(config.commands['aws-role'].parameters.role.enum).toEqual(['PLAN', 'APPLY', 'RELEASE']);
    expect(config.executors.node.environment.TF_PLUGIN_CACHE_DIR).toBe('/home/circleci/.terraform.d/plugin-cache');
    expect(JSON.stringify(config.commands['save-plugin-cache'])).toContain('/home/circleci/.terraform.d/plugin-cache');
  });

  it('releases by API with pipeline parameters: dev → staging → approval → prod, serialized per environment', () => {
    expect(Object.keys(config.parameters)).toEqual(['release', 'release_service', 'release_image_tag', 'release_to']);
    expect(config.workflows.infrastructure.when).toEqual({ not: '<< pipeline.parameters.release >>' });
    const jobs = (config.workflows.release.jobs as Json[]).map((j): Json => ({ key: Object.keys(j)[0], ...(Object.values(j)[0] as Json) }));
    expect(jobs.map((j) => j.name ?? j.key)).toEqual(['release-dev', 'release-staging', 'approve-release-prod', 'release-prod']);
    expect(jobs[2].type).toBe('approval');
    expect(jobs[3]).toEqual(expect.objectContaining({ context: 'aws-prod', requires: ['approve-release-prod'], 'serial-group': '<< pipeline.project.slug >>/release-prod' }));
    expect(runs(config.jobs.release.steps)).toContain('npm run release -- << parameters.env >> "<< pipeline.parameters.release_service >>" "<< pipeline.parameters.release_image_tag >>"');
    expect(JSON.stringify(config.jobs.release.steps)).not.toContain('Install Terraform');
    expect(config.jobs.release.steps).toEqual(expect.arrayContaining([{ 'aws-role': { role: 'RELEASE', env: '<< parameters.env >>' } }]));
    const nonprod = (config.workflows['release-nonprod'].jobs as Json[]).map((j) => (Object.values(j)[0] as Json).name);
    expect(nonprod).toEqual(['release-dev', 'release-staging']);
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

  it('list plan, apply, review --plan and lock', () => {
    for (const file of ['help', 'README.md']) {
      const text = read(file);
      for (const command of ['npm run plan -- ', 'npm run apply -- ', 'npm run review -- --plan', 'npm run lock']) expect(text).toContain(command);
    }
    expect(read('help')).not.toContain('Your cdktf TypeScript project is ready!');
  });
});
