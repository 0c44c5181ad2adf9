// The CI pipelines, read as their tools would: valid YAML that names only npm scripts and stacks that
// exist; plans on every branch with the read-only role; applies from main only, after an approval, of
// exactly the saved plans; releases along each service's chain with an approval before prod, promoted
// by digest, rollbacks per environment. Untrusted inputs never reach shell text, and the scripts that
// receive them are run here (bash, a stand-in npm on PATH) with hostile values.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing } from 'cdktf';
import { parse } from 'yaml';
import { buildEnvironment } from '../src/app';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import { circleciAudiences } from '../src/constructs/oidc-provider';
import { PIPELINE_SESSION_SECONDS } from '../src/constructs/pipeline-identities';

type Json = Record<string, any>;
const root = join(__dirname, '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const scripts = Object.keys(JSON.parse(read('package.json')).scripts);
const configs = loadConfig(project, environments);
const app = Testing.app();
const stackNames = configs.flatMap((config) => Object.values(buildEnvironment(app, config)).map((s) => s.node.id));
const workflowFiles = readdirSync(join(root, '.github', 'workflows')).map((f) => `.github/workflows/${f}`);
const pipelineTexts = ['.circleci/config.yml', ...workflowFiles].map((f) => [f, read(f)] as const);
const workflows = Object.fromEntries(workflowFiles.map((f) => [f, parse(read(f)) as Json]));
const circle = parse(read('.circleci/config.yml')) as Json;

/** Every `npm run <script>` and every `<env>-<component>` stack named in a text. */
function references(text: string): { scripts: string[]; stacks: string[] } {
  const expanded = text
    .replace(/<< parameters\.env >>|\$\{\{ (matrix|inputs)\.env \}\}/g, '{ENV}')
    .split('\n')
    .flatMap((line) => (line.includes('{ENV}') ? ['dev', 'staging', 'prod'].map((env) => line.replaceAll('{ENV}', env)) : [line]))
    .join('\n');
  return {
    scripts: [...expanded.matchAll(/npm run (?:--silent )?([a-z:]+)/g)].map((m) => m[1]),
    stacks: [...expanded.matchAll(/\b((?:dev|staging|prod)-(?:bootstrap|network|data|app))\b/g)].map((m) => m[1]),
  };
}

const runs = (steps: Json[]) => steps.map((s) => (typeof s.run === 'string' ? s.run : (s.run?.command ?? ''))).filter(Boolean).join('\n');
const stepNamed = (steps: Json[], name: string): Json => steps.find((s) => s.name === name || s.run?.name === name)!;
/** Every job of every GitHub workflow, with its file. */
const githubJobs = Object.entries(workflows).flatMap(([file, doc]) => Object.entries<Json>(doc.jobs).map(([name, job]) => ({ file, name, job })));
/** Every step of a CircleCI job or command, `when`/`unless` blocks included. */
const circleSteps = (steps: Json[]): Json[] =>
  steps.flatMap((s) => (s.when ? circleSteps(s.when.steps) : s.unless ? circleSteps(s.unless.steps) : [s]));
const circleRuns = (steps: Json[]): Json[] => circleSteps(steps).filter((s) => s.run).map((s) => (typeof s.run === 'string' ? { command: s.run } : s.run));
const uses = (steps: Json[] | undefined, action: string) => (steps ?? []).filter((s) => String(s.uses).startsWith(`${action}@`));

// ---- running a pipeline's shell script with a stand-in npm -----------------------------------------

const IMAGE_HEX = 'ab'.repeat(32);
const OTHER_HEX = 'cd'.repeat(32);

/** A scratch directory with `bin/npm`: logs its arguments, answers release:chain, writes --json-out. */
function sandbox(): { dir: string; log: () => string[]; out: (file: string) => string } {
  const dir = mkdtempSync(join(tmpdir(), 'pipeline-'));
  mkdirSync(join(dir, 'bin'));
  writeFileSync(
    join(dir, 'bin', 'npm'),
    [
      '#!/bin/sh',
      'printf "%s\\n" "$*" >> "$FAKE_NPM_LOG"',
      'if [ "$2" = --silent ] && [ "$3" = release:chain ]; then printf "%s" "$FAKE_CHAIN"; exit "${FAKE_CHAIN_EXIT:-0}"; fi',
      'prev=""',
      'for a in "$@"; do if [ "$prev" = --json-out ]; then printf "%s" "$FAKE_JSON" > "$a"; fi; prev=$a; done',
      'exit "${FAKE_RELEASE_EXIT:-0}"',
      '',
    ].join('\n'),
  );
  chmodSync(join(dir, 'bin', 'npm'), 0o755);
  writeFileSync(join(dir, 'npm.log'), '');
  return {
    dir,
    log: () => readFileSync(join(dir, 'npm.log'), 'utf8').split('\n').filter(Boolean),
    out: (file) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : ''),
  };
}

/** Runs `script` with bash -c in `box.dir`, the stand-in npm first on PATH, and `env`. */
function bash(box: { dir: string }, script: string, env: Record<string, string>) {
  const result = spawnSync('bash', ['-c', script], {
    cwd: box.dir,
    encoding: 'utf8',
    env: {
      PATH: `${join(box.dir, 'bin')}:${process.env.PATH}`,
      HOME: box.dir,
      FAKE_NPM_LOG: join(box.dir, 'npm.log'),
      GITHUB_OUTPUT: join(box.dir, 'github-output'),
      RUNNER_TEMP: box.dir,
      ...env,
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `key=value` lines a GitHub step wrote to $GITHUB_OUTPUT. */
const outputs = (box: { out: (f: string) => string }) =>
  Object.fromEntries(box.out('github-output').split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

const hostileServices = ['api"; touch PWNED; echo "', 'api$(touch PWNED)', 'api`touch PWNED`', 'API', 'api\ntouch PWNED', '-rf', ''];
const hostileImages = ['v1"; touch PWNED; echo "', 'v1$(touch PWNED)', 'v1 --force-unpromoted', 'sha256:xyz', `v1@sha256:${IMAGE_HEX.slice(1)}`, '-v1', ''];

let boxes: string[] = [];
afterEach(() => {
  for (const dir of boxes) rmSync(dir, { recursive: true, force: true });
  boxes = [];
});
const box = () => {
  const b = sandbox();
  boxes.push(b.dir);
  return b;
};

// ---- every file ----------------------------------------------------------------------------------

describe('every pipeline file', () => {
  it.each(pipelineTexts)('%s: no --auto-approve, no IMAGE_TAG, no stored AWS keys, only existing npm scripts and stacks', (_file, text) => {
    expect(text).not.toMatch(/auto-approve/);
    expect(text).not.toMatch(/IMAGE_TAG/);
    expect(text).not.toMatch(/aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    expect(text).not.toMatch(/cdktf (deploy|diff)|npm run (deploy|diff)/);
    for (const script of references(text).scripts) expect(scripts).toContain(script);
    for (const stack of references(text).stacks) expect(stackNames).toContain(stack);
  });

  it('release:chain, which the release pipelines run, is a package.json script (contract: the env names having a service, in order)', () => {
    expect(pipelineTexts.filter(([, text]) => text.includes('npm run --silent release:chain --')).map(([f]) => f)).toEqual(['.circleci/config.yml', '.github/workflows/release.yml']);
    expect(scripts).toContain('release:chain');
  });

  it('GitHub: no ${{ }} expression inside any run: or github-script (inputs, event fields and outputs reach shell as variables)', () => {
    for (const { job } of githubJobs) {
      for (const step of job.steps ?? []) {
        if (typeof step.run === 'string') expect(step.run).not.toContain('${{');
        if (String(step.uses).startsWith('actions/github-script@')) expect(step.with.script).not.toContain('${{');
      }
    }
    // the scan above sees the steps that take inputs
    expect(githubJobs.filter(({ job }) => (job.steps ?? []).some((s: Json) => JSON.stringify(s.env ?? {}).includes('inputs.'))).length).toBeGreaterThan(3);
  });

  it('CircleCI: no pipeline parameter in any command; job and command parameters in commands only where CircleCI checks them (enum, boolean)', () => {
    const scopes = [...Object.entries<Json>(circle.jobs), ...Object.entries<Json>(circle.commands)];
    let checked = 0;
    for (const [, scope] of scopes) {
      const types = Object.fromEntries(Object.entries<Json>(scope.parameters ?? {}).map(([k, v]) => [k, v.type]));
      for (const run of circleRuns(scope.steps)) {
        expect(run.command).not.toMatch(/pipeline\.parameters|pipeline\.git/);
        for (const [, name] of String(run.command).matchAll(/<< parameters\.([\w-]+) >>/g)) {
          expect(['enum', 'boolean']).toContain(types[name]);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
    // Pipeline parameters appear only as job environment values.
    const text = read('.circleci/config.yml');
    for (const line of text.split('\n').filter((l) => l.includes('<< pipeline.parameters.release_service') || l.includes('<< pipeline.parameters.release_image'))) {
      expect(line).toMatch(/^\s+RELEASE_(SERVICE|IMAGE): "<< pipeline\.parameters\.release_(service|image) >>"$/);
    }
  });

  it('third-party actions pinned by full commit SHA with the tag in a comment, one SHA per action', () => {
    const pins = new Map<string, Set<string>>();
    for (const [file, text] of pipelineTexts.filter(([f]) => f.startsWith('.github/'))) {
      for (const line of text.split('\n').filter((l) => /^\s*(- )?uses:/.test(l))) {
        const target = line.replace(/^\s*(- )?uses:\s*/, '');
        if (target.startsWith('./')) continue;
        expect({ file, line: target }).toEqual({ file, line: expect.stringMatching(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/) });
        const [action, sha] = target.split(/[@ ]/);
        pins.set(action, (pins.get(action) ?? new Set()).add(sha));
      }
    }
    expect([...pins.keys()].sort()).toEqual(
      ['actions/cache', 'actions/checkout', 'actions/download-artifact', 'actions/github-script', 'actions/setup-node', 'actions/upload-artifact', 'aws-actions/configure-aws-credentials'].sort(),
    );
    for (const shas of pins.values()) expect(shas.size).toBe(1);
    expect(read('.github/workflows/terraform.yml')).not.toContain('hashicorp/setup-terraform');
  });

  it('Terraform: every download is checked against one pinned SHA-256 before unzip, on both CIs', () => {
    const pinned = new Set<string>();
    for (const [file, text] of pipelineTexts) {
      const docEnv = file.startsWith('.github/') ? workflows[file].env : circle.executors.node.environment;
      const downloads = text.split('\n').filter((l) => l.includes('releases.hashicorp.com/terraform'));
      if (downloads.length === 0) continue;
      expect(docEnv.TERRAFORM_VERSION).toBe('1.10.5');
      expect(docEnv.TERRAFORM_SHA256).toMatch(/^[0-9a-f]{64}$/);
      pinned.add(docEnv.TERRAFORM_SHA256);
      const installs = text.split('\n').reduce<number[]>((at, l, i) => (l.includes('releases.hashicorp.com/terraform') ? [...at, i] : at), []);
      const lines = text.split('\n');
      for (const i of installs) {
        expect(lines[i + 1]).toContain('echo "${TERRAFORM_SHA256}  ');
        expect(lines[i + 1]).toContain('| sha256sum -c -');
        expect(lines[i + 2]).toContain('unzip');
      }
    }
    expect(pinned.size).toBe(1);
  });

  it('Node 22: .nvmrc says 22, setup-node reads it, CircleCI runs cimg/node:22.x', () => {
    expect(read('.nvmrc').trim()).toBe('22');
    const setupNodes = githubJobs.flatMap(({ job }) => uses(job.steps, 'actions/setup-node'));
    expect(setupNodes.length).toBeGreaterThan(5);
    for (const step of setupNodes) expect(step.with['node-version-file']).toBe('.nvmrc');
    expect(circle.executors.node.docker[0].image).toMatch(/^cimg\/node:22\.\d+$/);
  });
});

// ---- GitHub -----------------------------------------------------------------------------------------

describe('GitHub Actions: infrastructure.yml + terraform.yml', () => {
  const main = workflows['.github/workflows/infrastructure.yml'];
  const env = workflows['.github/workflows/terraform.yml'];
  const envJobs = ['dev', 'staging', 'prod'];

  it('branches and pull requests: plan every environment, never apply', () => {
    expect(Object.keys(main.on)).toEqual(expect.arrayContaining(['push', 'pull_request']));
    expect(main.jobs.plan.strategy.matrix.env).toEqual(['dev', 'staging', 'prod']);
    expect(main.jobs.plan.uses).toBe('./.github/workflows/terraform.yml');
    expect(main.jobs.plan.with).toEqual({ env: '${{ matrix.env }}', apply: false });
    expect(main.jobs.plan.needs).toBe('test');
    // Fork pull requests get no OIDC token: they are not planned (instead of failing at the role).
    expect(main.jobs.plan.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(runs(main.jobs.test.steps)).toContain('npm test');
    expect(runs(main.jobs.test.steps)).toContain('npm run validate -- --terraform');
  });

  it('main: dev → staging → prod, each plan → approval (GitHub environment named by ci.githubEnvironment) → apply', () => {
    for (const job of envJobs) {
      expect(main.jobs[job].if).toContain("github.ref == 'refs/heads/main'");
      expect(main.jobs[job].with).toEqual(expect.objectContaining({ env: job, apply: true }));
      const config = configs.find((c) => c.name === job)!;
      expect(main.jobs[job].with['github-environment']).toBe(config.ci.githubEnvironment ?? config.name);
    }
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
    expect(uses(plan.steps, 'aws-actions/configure-aws-credentials')[0].with['role-to-assume']).toContain("'AWS_PLAN_ROLE_ARN_{0}'");
    expect(runs(plan.steps)).toContain('npm run plan -- "$TF_ENV"');
    expect(env.env.TF_ENV).toBe('${{ inputs.env }}');
    expect(runs(plan.steps)).toContain('GITHUB_STEP_SUMMARY');
    const comment = uses(plan.steps, 'actions/github-script')[0];
    expect(comment.if).toContain("github.event_name == 'pull_request'");
    expect(comment.with.script).toContain('terraform-plan:${env}');
    expect(comment.with.script).toContain('updateComment');
    const upload = uses(plan.steps, 'actions/upload-artifact').find((s) => String(s.with.path).startsWith('plans/'))!;
    expect(upload.with).toEqual(expect.objectContaining({ name: 'plans-${{ inputs.env }}', path: 'plans/${{ inputs.env }}/' }));
    expect(upload.with['retention-days']).toBeLessThanOrEqual(7);
  });

  it('apply job: main only, after the plan, in the GitHub environment, the saved plans, 4-hour credentials, --yes after the approval', () => {
    const apply = env.jobs.apply;
    expect(apply.needs).toBe('plan');
    expect(apply.if).toBe("inputs.apply && github.ref == 'refs/heads/main'");
    expect(apply.environment).toBe('${{ inputs.github-environment }}');
    // Saved plans (secrets in clear) are uploaded only by runs that apply them.
    const planUpload = uses(env.jobs.plan.steps, 'actions/upload-artifact').find((u: Json) => u.with.name === 'plans-${{ inputs.env }}')!;
    expect(planUpload.if).toBe('inputs.apply');
    expect(planUpload.with.overwrite).toBe(true);
    const download = uses(apply.steps, 'actions/download-artifact')[0];
    expect(download.with).toEqual({ name: 'plans-${{ inputs.env }}', path: 'plans/${{ inputs.env }}' });
    const credentials = uses(apply.steps, 'aws-actions/configure-aws-credentials')[0];
    expect(credentials.with['role-to-assume']).toContain("'AWS_APPLY_ROLE_ARN_{0}'");
    expect(credentials.with['role-duration-seconds']).toBe(14400);
    // The job ends (timeout) before the credentials do.
    expect(apply['timeout-minutes']).toBeLessThan(240);
    expect(runs(apply.steps)).toContain('npm ci --ignore-scripts --no-audit --no-fund\n');
    expect(runs(apply.steps).trim().split('\n').at(-1)).toBe('npm run apply -- "$TF_ENV" --yes');
    expect(apply.steps.indexOf(download)).toBeLessThan(apply.steps.findIndex((s: Json) => String(s.run).startsWith('npm run apply')));
    expect(env.env.ENV_SUFFIX).toContain('"prod":"PROD"');
    // A state terraform could not save (credentials expired mid-apply) outlives the runner, for a day.
    const recovery = stepNamed(apply.steps, 'Keep the state terraform could not save');
    expect(recovery.if).toBe("failure() && hashFiles(format('plans/{0}.recovery/*', inputs.env)) != ''");
    expect(recovery.with).toEqual(expect.objectContaining({ name: 'recovery-${{ inputs.env }}', path: 'plans/${{ inputs.env }}.recovery/', 'retention-days': 1 }));
  });

  it('the apply job refuses any ref but main, and any env name but dev, staging, prod', () => {
    const guard = stepNamed(env.jobs.apply.steps, 'Refuse anything but main');
    for (const [ref, tfEnv, code] of [
      ['refs/heads/main', 'prod', 0],
      ['refs/heads/x/vcs-ref/refs/heads/main', 'prod', 1],
      ['refs/pull/1/merge', 'dev', 1],
      ['refs/heads/main', 'prod; touch PWNED', 2],
    ] as const) {
      const b = box();
      expect(bash(b, guard.run, { REF: ref, TF_ENV: tfEnv }).code).toBe(code);
      expect(existsSync(join(b.dir, 'PWNED'))).toBe(false);
    }
  });

  it('OIDC (id-token: write); the provider plugin cache for plans and tests only, never in the apply job', () => {
    expect(main.jobs.plan.permissions['id-token']).toBe('write');
    expect(env.permissions['id-token']).toBe('write');
    for (const doc of [main, env]) expect(doc.env.TF_PLUGIN_CACHE_DIR).toBe('/home/runner/.terraform.d/plugin-cache');
    for (const job of [env.jobs.plan, main.jobs.test]) {
      const cache = uses(job.steps, 'actions/cache')[0];
      expect(cache.with.path).toBe('/home/runner/.terraform.d/plugin-cache');
      expect(cache.with.key).toContain("hashFiles('package-lock.json', 'locks/*.hcl')");
    }
    expect(uses(env.jobs.apply.steps, 'actions/cache')).toEqual([]);
    expect(uses(env.jobs.apply.steps, 'actions/setup-node')[0].with['package-manager-cache']).toBe(false);
  });
});

describe('GitHub Actions: separate trust for apply and release', () => {
  it('apply-role jobs only in terraform.yml, release-role jobs only in release.yml (the roles trust these files by job_workflow_ref)', () => {
    const holding = (role: string) => githubJobs.filter(({ job }) => JSON.stringify(job.steps ?? []).includes(`AWS_${role}_ROLE_ARN_`)).map(({ file, name }) => `${file}:${name}`);
    expect(holding('APPLY')).toEqual(['.github/workflows/terraform.yml:apply']);
    expect(holding('RELEASE')).toEqual(['.github/workflows/release.yml:release-dev', '.github/workflows/release.yml:release-staging', '.github/workflows/release.yml:release-prod']);
    // terraform.yml is reachable only from this repository's infrastructure.yml; release.yml is not callable at all.
    expect(Object.keys(workflows['.github/workflows/terraform.yml'].on)).toEqual(['workflow_call']);
    expect(Object.keys(workflows['.github/workflows/release.yml'].on)).toEqual(['workflow_dispatch']);
    const callers = githubJobs.filter(({ job }) => String(job.uses ?? '').includes('terraform.yml'));
    for (const { file, job } of callers) expect([file, job.uses]).toEqual(['.github/workflows/infrastructure.yml', './.github/workflows/terraform.yml']);
  });

  it('jobs holding an AWS role install with npm ci --ignore-scripts and keep no git credentials', () => {
    const credentialed = githubJobs.filter(({ job }) => uses(job.steps, 'aws-actions/configure-aws-credentials').length > 0);
    expect(credentialed.length).toBe(5);
    for (const { job } of credentialed) {
      expect(runs(job.steps)).toMatch(/^npm ci --ignore-scripts /m);
      expect(runs(job.steps)).not.toMatch(/^npm ci (?!--ignore-scripts)/m);
      expect(uses(job.steps, 'actions/checkout')[0].with['persist-credentials']).toBe(false);
    }
  });
});

describe('GitHub Actions: release.yml', () => {
  const release = workflows['.github/workflows/release.yml'];
  const jobs = release.jobs;
  const envJobs = ['release-dev', 'release-staging', 'release-prod'];
  const check = stepNamed(jobs.chain.steps, 'Refuse anything but main; check the inputs');
  const chain = stepNamed(jobs.chain.steps, 'The environments that run');
  const releaseStep = (job: string) => jobs[job].steps.find((s: Json) => s.id === 'release');

  it('dispatch only (no workflow_call), with service, image, env and rollback', () => {
    const inputs = release.on.workflow_dispatch.inputs;
    expect(Object.keys(inputs)).toEqual(['service', 'image', 'env', 'rollback']);
    expect(inputs.env.options).toEqual(['dev', 'staging', 'prod']);
    expect(inputs.rollback).toEqual(expect.objectContaining({ type: 'boolean', default: false }));
    expect(release.permissions).toEqual({ contents: 'read' });
  });

  it('a chain job without credentials, then dev → staging → prod in their GitHub environments, one release per environment at a time', () => {
    expect(Object.keys(jobs)).toEqual(['chain', ...envJobs]);
    expect(jobs.chain.permissions).toBeUndefined();
    expect(JSON.stringify(jobs.chain)).not.toContain('configure-aws-credentials');
    for (const [i, name] of envJobs.entries()) {
      const target = name.replace('release-', '');
      const config = configs.find((c) => c.name === target)!;
      const job = jobs[name];
      expect(job.environment).toBe(config.ci.githubEnvironment ?? config.name);
      expect(job.needs).toEqual(i === 0 ? 'chain' : ['chain', ...envJobs.slice(0, i)]);
      expect(job.if).toContain("github.ref == 'refs/heads/main'");
      expect(job.if).toContain(`needs.chain.outputs.${target} == 'true'`);
      // A skipped earlier environment (not in the chain, or a rollback) does not stop a later one; a failed one does.
      for (const earlier of envJobs.slice(0, i)) expect(job.if).toContain(`(needs.${earlier}.result == 'success' || needs.${earlier}.result == 'skipped')`);
      if (i > 0) expect(job.if).toMatch(/^!cancelled\(\)/);
      expect(job.concurrency).toEqual({ group: `release-${target}`, 'cancel-in-progress': false });
      expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
      const credentials = uses(job.steps, 'aws-actions/configure-aws-credentials')[0];
      expect(credentials.with['role-to-assume']).toBe(`\${{ vars.AWS_RELEASE_ROLE_ARN_${target.toUpperCase()} }}`);
      expect(credentials.with['role-duration-seconds']).toBe(PIPELINE_SESSION_SECONDS.release);
      // The tool's own waits (30 min for a deployment already running + 40 migration + 60 rollout + 15
      // following a rollback) end before the job, and the job before its credentials.
      expect(job['timeout-minutes']).toBeGreaterThan(30 + 40 + 60 + 15);
      expect(job['timeout-minutes']).toBeLessThan(PIPELINE_SESSION_SECONDS.release / 60);
      expect(releaseStep(name).env.TARGET_ENV).toBe(target);
    }
    expect(jobs['release-prod'].environment).toBe('production');
    expect(read('.github/workflows/release.yml')).not.toContain('terraform');
  });

  it('promotion by digest: each environment receives the image the nearest earlier one released', () => {
    expect(releaseStep('release-dev').env.PROMOTED).toBe('');
    expect(releaseStep('release-staging').env.PROMOTED).toBe('${{ needs.release-dev.outputs.image }}');
    expect(releaseStep('release-prod').env.PROMOTED).toBe('${{ needs.release-staging.outputs.image || needs.release-dev.outputs.image }}');
    for (const name of ['release-dev', 'release-staging']) expect(jobs[name].outputs.image).toBe('${{ steps.release.outputs.image }}');
    // One script for the three environments.
    expect(new Set(envJobs.map((j) => releaseStep(j).run)).size).toBe(1);
  });

  it('the input check refuses hostile service and image values before any use, and any ref but main', () => {
    const valid = { REF: 'refs/heads/main', SERVICE: 'api', IMAGE: `v1.2@sha256:${IMAGE_HEX}`, TARGET: 'prod', ROLLBACK: 'false' };
    const ok = box();
    expect(bash(ok, check.run, valid).code).toBe(0);
    expect(outputs(ok)).toEqual({ service: 'api', image: `v1.2@sha256:${IMAGE_HEX}` });
    for (const image of ['v1', `sha256:${IMAGE_HEX}`]) expect(bash(box(), check.run, { ...valid, IMAGE: image }).code).toBe(0);
    const refused: Array<[Record<string, string>, number]> = [
      ...hostileServices.map((SERVICE): [Record<string, string>, number] => [{ ...valid, SERVICE }, 2]),
      ...hostileImages.map((IMAGE): [Record<string, string>, number] => [{ ...valid, IMAGE }, 2]),
      [{ ...valid, TARGET: 'prod; touch PWNED' }, 2],
      [{ ...valid, ROLLBACK: 'true' }, 2], // a rollback takes no image
      [{ ...valid, REF: 'refs/heads/feature/vcs-ref/refs/heads/main' }, 1],
      [{ ...valid, REF: 'refs/tags/main' }, 1],
    ];
    for (const [env, code] of refused) {
      const b = box();
      const result = bash(b, check.run, env);
      expect({ env, code: result.code }).toEqual({ env, code });
      expect(existsSync(join(b.dir, 'PWNED'))).toBe(false);
      expect(b.out('github-output')).toBe('');
      expect(result.stdout.split('\n').filter(Boolean)).toHaveLength(1); // one line says why
    }
  });

  it('the chain job runs the environments that have the service, from the first one up to env; a rollback only env', () => {
    const cases: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['dev\nstaging\nprod', { TARGET: 'prod', ROLLBACK: 'false' }, { dev: 'true', staging: 'true', prod: 'true', first: 'dev' }],
      ['dev\nstaging\nprod', { TARGET: 'staging', ROLLBACK: 'false' }, { dev: 'true', staging: 'true', prod: 'false', first: 'dev' }],
      // a worker only in staging and prod starts at staging
      ['staging\nprod', { TARGET: 'prod', ROLLBACK: 'false' }, { dev: 'false', staging: 'true', prod: 'true', first: 'staging' }],
      ['dev\nprod', { TARGET: 'prod', ROLLBACK: 'false' }, { dev: 'true', staging: 'false', prod: 'true', first: 'dev' }],
      // a rollback: that environment alone, directly
      ['dev\nstaging\nprod', { TARGET: 'prod', ROLLBACK: 'true' }, { dev: 'false', staging: 'false', prod: 'true', first: 'prod' }],
      ['staging\nprod', { TARGET: 'staging', ROLLBACK: 'true' }, { dev: 'false', staging: 'true', prod: 'false', first: 'staging' }],
    ];
    for (const [chainOut, env, expected] of cases) {
      const b = box();
      const result = bash(b, chain.run, { SERVICE: 'worker', FAKE_CHAIN: chainOut, ...env });
      expect({ env, chainOut, code: result.code, outputs: outputs(b) }).toEqual({ env, chainOut, code: 0, outputs: expected });
      expect(b.log()).toEqual(['run --silent release:chain -- worker']);
    }
    for (const [chainOut, env, exit] of [
      ['staging\nprod', { TARGET: 'dev', ROLLBACK: 'false' }, '0'], // nothing up to dev
      ['staging\nprod', { TARGET: 'dev', ROLLBACK: 'true' }, '0'], // no worker in dev to roll back
      ['', { TARGET: 'prod', ROLLBACK: 'false' }, '2'], // unknown service: release:chain exits 2
    ] as const) {
      const b = box();
      const result = bash(b, chain.run, { SERVICE: 'worker', FAKE_CHAIN: chainOut, FAKE_CHAIN_EXIT: exit, ...env });
      expect(result.code).toBe(2);
      expect(outputs(b).first).toBeUndefined();
    }
  });

  it('the release step: input image in the first environment, the promoted digest later, --yes only in prod, rollback alone', () => {
    const script = releaseStep('release-dev').run;
    const json = JSON.stringify({ env: 'dev', service: 'api', tag: 'v1.2', digest: `sha256:${IMAGE_HEX}`, outcome: 'released' });
    const base = { SERVICE: 'api', ROLLBACK: 'false', FAKE_JSON: json };

    const first = box();
    expect(bash(first, script, { ...base, TARGET_ENV: 'dev', FIRST: 'dev', INPUT_IMAGE: 'v1.2', PROMOTED: '' }).code).toBe(0);
    expect(first.log()).toEqual([`run release -- dev api v1.2 --json-out ${join(first.dir, 'release-dev.json')} --timeout-minutes 60 --migrate-timeout-minutes 40`]);
    expect(outputs(first)).toEqual({ image: `v1.2@sha256:${IMAGE_HEX}` });

    const prod = box();
    const promoted = `v1.2@sha256:${IMAGE_HEX}`;
    expect(bash(prod, script, { ...base, TARGET_ENV: 'prod', FIRST: 'dev', INPUT_IMAGE: 'v1.2', PROMOTED: promoted }).code).toBe(0);
    expect(prod.log()).toEqual([`run release -- prod api ${promoted} --json-out ${join(prod.dir, 'release-prod.json')} --timeout-minutes 60 --migrate-timeout-minutes 40 --yes`]);

    // A bare digest released first is promoted as a bare digest.
    const bare = box();
    expect(bash(bare, script, { ...base, TARGET_ENV: 'staging', FIRST: 'staging', INPUT_IMAGE: `sha256:${OTHER_HEX}`, PROMOTED: '', FAKE_JSON: JSON.stringify({ tag: null, digest: OTHER_HEX }) }).code).toBe(0);
    expect(outputs(bare)).toEqual({ image: `sha256:${OTHER_HEX}` });

    const rollback = box();
    expect(bash(rollback, script, { ...base, ROLLBACK: 'true', TARGET_ENV: 'prod', FIRST: 'prod', INPUT_IMAGE: '', PROMOTED: '' }).code).toBe(0);
    expect(rollback.log()).toEqual(['run release -- prod api --rollback --timeout-minutes 60 --yes']);
    expect(outputs(rollback)).toEqual({});

    // A later environment with nothing promoted (or something that is not an image) releases nothing.
    for (const PROMOTED of ['', 'v1; touch PWNED']) {
      const none = box();
      expect(bash(none, script, { ...base, TARGET_ENV: 'staging', FIRST: 'dev', INPUT_IMAGE: 'v1.2', PROMOTED }).code).toBe(1);
      expect(none.log()).toEqual([]);
    }
    // A failed release stops the step; a --json-out without a digest promotes nothing.
    const failed = box();
    expect(bash(failed, script, { ...base, TARGET_ENV: 'dev', FIRST: 'dev', INPUT_IMAGE: 'v1.2', PROMOTED: '', FAKE_RELEASE_EXIT: '4' }).code).toBe(4);
    expect(outputs(failed)).toEqual({});
    const noDigest = box();
    expect(bash(noDigest, script, { ...base, TARGET_ENV: 'dev', FIRST: 'dev', INPUT_IMAGE: 'v1.2', PROMOTED: '', FAKE_JSON: '{"tag":"v1.2"}' }).code).toBe(1);
    expect(outputs(noDigest)).toEqual({});
  });
});

// ---- CircleCI ---------------------------------------------------------------------------------------

describe('CircleCI (.circleci/config.yml)', () => {
  const infra = circle.workflows.infrastructure.jobs as Array<string | Json>;
  const entries = (jobs: Array<string | Json>) =>
    jobs.map((j): Json => (typeof j === 'string' ? { key: j } : { key: Object.keys(j)[0], ...(Object.values(j)[0] as Json) }));
  /** A job of a workflow by its name (or, unnamed, by the job it runs). */
  const entry = (name: string, workflow = 'infrastructure'): Json => entries(circle.workflows[workflow].jobs).find((j) => (j.name ?? j.key) === name)!;
  const releaseSteps = circle.jobs.release.steps as Json[];
  const releaseRun = circleRuns(releaseSteps).find((r) => String(r.name).startsWith('Release (or roll back)'))!;
  const chainCheck = circleRuns(circle.jobs['release-chain'].steps).find((r) => r.name === 'Refuse anything but main; check the parameters')!;
  const chainRun = circleRuns(circle.jobs['release-chain'].steps).find((r) => r.name === 'The environments that take part')!;

  it('has test, plan, apply, release-chain, release and release-refused jobs', () => {
    expect(Object.keys(circle.jobs)).toEqual(['test', 'plan', 'apply', 'release-chain', 'release', 'release-refused']);
  });

  it('every branch: test, then plan every environment with the plan role; saved plans to the workspace, not to artifacts', () => {
    expect(infra[0]).toBe('test');
    const plan = entry('plan-<< matrix.env >>');
    expect(plan.filters).toBeUndefined();
    expect(plan.matrix.parameters.env).toEqual(['dev', 'staging', 'prod']);
    const steps = circle.jobs.plan.steps as Json[];
    expect(runs(steps)).toContain('npm run plan -- << parameters.env >>');
    expect(steps).toEqual(expect.arrayContaining([{ 'aws-role': { role: 'PLAN', env: '<< parameters.env >>' } }, { persist_to_workspace: { root: '.', paths: ['plans/<< parameters.env >>'] } }]));
    expect(steps.filter((s) => s.store_artifacts).map((s) => s.store_artifacts.path)).toEqual(['reports']);
  });

  it('main: approval job → apply --yes of the attached saved plans, dev → staging → prod, in restricted contexts, serialized per environment', () => {
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
    const steps = circle.jobs.apply.steps as Json[];
    expect(steps).toEqual(expect.arrayContaining([{ attach_workspace: { at: '.' } }, { 'aws-role': { role: 'APPLY', env: '<< parameters.env >>' } }]));
    const applyAt = steps.findIndex((step) => step.run?.command === 'npm run apply -- << parameters.env >> --yes');
    expect(applyAt).toBeGreaterThan(0);
    // After it, only the push-back of a state terraform could not save (credentials expired mid-apply),
    // and only when the apply failed: it runs the recovery commands apply prints, in the same stack directory.
    const recovery = steps.slice(applyAt + 1);
    expect(recovery).toHaveLength(1);
    expect(recovery[0].run.when).toBe('on_fail');
    expect(recovery[0].run.command).toContain('for copy in "plans/$TARGET_ENV.recovery/"*.errored.tfstate; do');
    expect(recovery[0].run.command).toContain('cd "cdktf.out/stacks/$stack" && terraform init -input=false -reconfigure && terraform state push -lock=false "$OLDPWD/$copy"');
    // no provider cache any branch could have written reaches the apply role
    expect(steps[0]).toEqual({ setup: { 'plugin-cache': false } });
    expect(circle.workflows.infrastructure.when).toEqual({ and: [{ not: '<< pipeline.parameters.release >>' }, { not: '<< pipeline.parameters.rollback >>' }] });
  });

  it('every step that runs a long command says how long it may be silent', () => {
    const long = Object.values<Json>(circle.jobs).flatMap((job) => circleRuns(job.steps)).filter((r) => /npm (test|run (plan|apply|release|validate) )/.test(r.command));
    expect(long.length).toBeGreaterThanOrEqual(5);
    for (const run of long) expect({ command: run.command.slice(0, 40), no_output_timeout: run.no_output_timeout }).toEqual({ command: run.command.slice(0, 40), no_output_timeout: '20m' });
  });

  // The audiences the bootstrap stacks' apply and release roles accept: each role's own name.
  const audiences = circleciAudiences(project.ci!.circleci!.organizationId, 'drf-api-prod');
  const devAudiences = circleciAudiences(project.ci!.circleci!.organizationId, 'drf-api-dev');

  it('roles by OIDC web identity: plan with the default token; apply and release with their own audiences, renewed in the background', () => {
    const awsRole = circle.commands['aws-role'];
    expect(awsRole.parameters.role.enum).toEqual(['PLAN', 'APPLY', 'RELEASE']);
    const assume = circleRuns(awsRole.steps)[0];
    expect(assume.command).toContain('printf \'%s\' "$CIRCLE_OIDC_TOKEN_V2" > "$token_file"');
    expect(assume.command).toContain('audience=${role_arn##*/}');
    expect(assume.command).toContain('circleci run oidc get --claims "{\\"aud\\":\\"$audience\\"}"');
    expect(assume.environment).toEqual({ ROLE_KIND: '<< parameters.role >>', TARGET_ENV: '<< parameters.env >>' });
    const refresh = awsRole.steps[1];
    expect(refresh.unless.condition).toEqual({ equal: ['PLAN', '<< parameters.role >>'] });
    expect(refresh.unless.steps[0].run.background).toBe(true);
    expect(refresh.unless.steps[0].run.command).toMatch(/while sleep 540; do/);
    expect(refresh.unless.steps[0].run.no_output_timeout).toBe('6h');
    expect(circle.executors.node.environment.TF_PLUGIN_CACHE_DIR).toBe('/home/circleci/.terraform.d/plugin-cache');
    expect(JSON.stringify(circle.commands['save-plugin-cache'])).toContain('/home/circleci/.terraform.d/plugin-cache');
  });

  it('the role step writes only an IAM role ARN and a token file into $BASH_ENV; the audience names the role kind', () => {
    const assume = circleRuns(circle.commands['aws-role'].steps)[0];
    const setupBox = () => {
      const b = box();
      // A stand-in `circleci` that prints the claims it was asked for as the token.
      writeFileSync(join(b.dir, 'bin', 'circleci'), '#!/bin/sh\nprintf "token-for:%s" "$5"\n');
      chmodSync(join(b.dir, 'bin', 'circleci'), 0o755);
      return b;
    };
    const env = { BASH_ENV: 'bash-env', CIRCLE_BUILD_NUM: '42', CIRCLE_OIDC_TOKEN_V2: 'default-token' };
    const arn = 'arn:aws:iam::123456789012:role/pipeline/drf-api-prod-pipeline-release';

    const release = setupBox();
    expect(bash(release, assume.command, { ...env, ROLE_KIND: 'RELEASE', TARGET_ENV: 'prod', AWS_RELEASE_ROLE_ARN_PROD: arn }).code).toBe(0);
    expect(release.out('.aws-web-identity-token')).toBe(`token-for:{"aud":"${audiences.release}"}`);
    expect(release.out('bash-env').split('\n').filter(Boolean)).toEqual([
      `export AWS_OIDC_AUDIENCE=${audiences.release}`,
      `export AWS_ROLE_ARN=${arn}`,
      `export AWS_WEB_IDENTITY_TOKEN_FILE=${join(release.dir, '.aws-web-identity-token')}`,
      'export AWS_ROLE_SESSION_NAME=circleci-42',
    ]);
    const apply = setupBox();
    const devApply = 'arn:aws:iam::123456789012:role/pipeline/drf-api-dev-pipeline-apply';
    expect(bash(apply, assume.command, { ...env, ROLE_KIND: 'APPLY', TARGET_ENV: 'dev', AWS_APPLY_ROLE_ARN_DEV: devApply }).code).toBe(0);
    expect(apply.out('.aws-web-identity-token')).toBe(`token-for:{"aud":"${devAudiences.apply}"}`);
    const plan = setupBox();
    expect(bash(plan, assume.command, { ...env, ROLE_KIND: 'PLAN', TARGET_ENV: 'staging', AWS_PLAN_ROLE_ARN_STAGING: arn }).code).toBe(0);
    expect(plan.out('.aws-web-identity-token')).toBe('default-token');

    for (const bad of ['', `${arn}; touch PWNED`, `${arn}\nexport AWS_ROLE_ARN=x`, 'arn:aws:iam::123:role/x']) {
      const b = setupBox();
      expect(bash(b, assume.command, { ...env, ROLE_KIND: 'RELEASE', TARGET_ENV: 'prod', AWS_RELEASE_ROLE_ARN_PROD: bad }).code).toBe(1);
      expect(b.out('bash-env')).toBe('');
    }
  });

  it('jobs holding an AWS role install with npm ci --ignore-scripts (only the test job runs install scripts)', () => {
    const setup = circle.commands.setup;
    expect(setup.parameters['install-scripts'].default).toBe(false);
    expect(setup.steps.find((s: Json) => s.unless).unless.steps).toEqual([{ run: 'npm ci --ignore-scripts --no-audit --no-fund' }]);
    for (const [name, job] of Object.entries<Json>(circle.jobs)) {
      const usesSetup = job.steps.filter((s: Json) => s.setup !== undefined);
      const installsScripts = usesSetup.some((s: Json) => s.setup?.['install-scripts'] === true);
      expect({ name, installsScripts }).toEqual({ name, installsScripts: name === 'test' });
    }
  });

  it('releases, rollbacks: only on main (other branches fail at once), parameters as environment variables', () => {
    expect(Object.keys(circle.parameters)).toEqual(['release', 'release_service', 'release_image', 'release_to', 'rollback']);
    expect(circle.parameters.rollback).toEqual(expect.objectContaining({ type: 'boolean', default: false }));
    expect(circle.parameters.release_to.enum).toEqual(['dev', 'staging', 'prod']);
    for (const name of ['release', 'release-nonprod', 'rollback-prod', 'rollback-nonprod']) {
      expect(circle.workflows[name].when.and).toContainEqual({ equal: ['main', '<< pipeline.git.branch >>'] });
    }
    expect(circle.workflows['release-refused'].when.and).toContainEqual({ not: { equal: ['main', '<< pipeline.git.branch >>'] } });
    expect(circleRuns(circle.jobs['release-refused'].steps)[0].command).toContain('exit 1');
    expect(circle.jobs.release.environment).toEqual({
      RELEASE_ENV: '<< parameters.env >>',
      RELEASE_APPROVED: '<< parameters.approved >>',
      RELEASE_WORKSPACE: '/tmp/workspace',
      RELEASE_SERVICE: '<< pipeline.parameters.release_service >>',
      RELEASE_IMAGE: '<< pipeline.parameters.release_image >>',
      RELEASE_ROLLBACK: '<< pipeline.parameters.rollback >>',
    });
    expect(JSON.stringify(releaseSteps)).not.toContain('Install Terraform');
    expect(releaseSteps).toEqual(expect.arrayContaining([{ setup: { terraform: false } }, { 'aws-role': { role: 'RELEASE', env: '<< parameters.env >>' } }]));
  });

  it('release workflows: chain → dev → staging → approval → prod (--yes), serialized per environment; rollbacks of one environment', () => {
    const names = (workflow: string) => entries(circle.workflows[workflow].jobs).map((j) => j.name ?? j.key);
    expect(names('release')).toEqual(['release-chain', 'release-dev', 'release-staging', 'approve-release-prod', 'release-prod']);
    expect(entry('approve-release-prod', 'release').type).toBe('approval');
    expect(entry('release-prod', 'release')).toEqual(expect.objectContaining({ env: 'prod', approved: true, context: 'aws-prod', requires: ['approve-release-prod'], 'serial-group': '<< pipeline.project.slug >>/release-prod' }));
    expect(entry('release-dev', 'release').requires).toEqual(['release-chain']);
    expect(names('release-nonprod')).toEqual(['release-chain', 'release-dev', 'release-staging']);
    for (const workflow of ['release', 'release-nonprod']) expect(circle.workflows[workflow].when.and).toContainEqual({ not: '<< pipeline.parameters.rollback >>' });
    expect(names('rollback-prod')).toEqual(['release-chain', 'approve-rollback-prod', 'rollback-prod']);
    expect(entry('rollback-prod', 'rollback-prod')).toEqual(expect.objectContaining({ env: 'prod', approved: true, context: 'aws-prod', 'serial-group': '<< pipeline.project.slug >>/release-prod' }));
    expect(names('rollback-nonprod')).toEqual(['release-chain', 'rollback-<< pipeline.parameters.release_to >>']);
    expect(entry('rollback-<< pipeline.parameters.release_to >>', 'rollback-nonprod')).toEqual(
      expect.objectContaining({ env: '<< pipeline.parameters.release_to >>', context: 'aws-<< pipeline.parameters.release_to >>', 'serial-group': '<< pipeline.project.slug >>/release-<< pipeline.parameters.release_to >>' }),
    );
    expect(circle.jobs.release.parameters.env.type).toBe('enum');
    // Nothing but prod is released with --yes.
    const approved = ['release', 'release-nonprod', 'rollback-prod', 'rollback-nonprod'].flatMap((w) => entries(circle.workflows[w].jobs)).filter((j) => j.approved);
    expect(approved.map((j) => j.name)).toEqual(['release-prod', 'rollback-prod']);
  });

  it('release-chain refuses hostile parameters and other branches', () => {
    const valid = { CIRCLE_BRANCH: 'main', RELEASE_SERVICE: 'api', RELEASE_IMAGE: `v1@sha256:${IMAGE_HEX}`, RELEASE_TO: 'prod', RELEASE_ROLLBACK: 'false' };
    expect(bash(box(), chainCheck.command, valid).code).toBe(0);
    const refused: Array<[Record<string, string>, number]> = [
      ...hostileServices.map((RELEASE_SERVICE): [Record<string, string>, number] => [{ ...valid, RELEASE_SERVICE }, 2]),
      ...hostileImages.map((RELEASE_IMAGE): [Record<string, string>, number] => [{ ...valid, RELEASE_IMAGE }, 2]),
      [{ ...valid, RELEASE_ROLLBACK: 'true' }, 2],
      [{ ...valid, CIRCLE_BRANCH: 'x/vcs-ref/refs/heads/main' }, 1],
    ];
    for (const [env, code] of refused) {
      const b = box();
      expect({ env, code: bash(b, chainCheck.command, env).code }).toEqual({ env, code });
      expect(existsSync(join(b.dir, 'PWNED'))).toBe(false);
    }
  });

  it('release-chain lists the environments that take part; each release job halts unless it is one of them', () => {
    const cases: Array<[string, Record<string, string>, string[]]> = [
      ['dev\nstaging\nprod', { RELEASE_TO: 'prod', RELEASE_ROLLBACK: 'false' }, ['dev', 'staging', 'prod']],
      ['dev\nstaging\nprod', { RELEASE_TO: 'dev', RELEASE_ROLLBACK: 'false' }, ['dev']],
      ['staging\nprod', { RELEASE_TO: 'prod', RELEASE_ROLLBACK: 'false' }, ['staging', 'prod']],
      ['staging\nprod', { RELEASE_TO: 'staging', RELEASE_ROLLBACK: 'true' }, ['staging']],
    ];
    for (const [chainOut, env, expected] of cases) {
      const b = box();
      expect(bash(b, chainRun.command, { RELEASE_SERVICE: 'worker', FAKE_CHAIN: chainOut, ...env }).code).toBe(0);
      expect(b.out('release/run').split('\n').filter(Boolean)).toEqual(expected);
      expect(b.out('release/chain')).toBe(chainOut);
    }
    const none = box();
    expect(bash(none, chainRun.command, { RELEASE_SERVICE: 'worker', FAKE_CHAIN: 'staging\nprod', RELEASE_TO: 'dev', RELEASE_ROLLBACK: 'false' }).code).toBe(2);

    const halt = circleRuns(releaseSteps)[0];
    expect(halt.name).toBe('Stop here unless << parameters.env >> takes part in this release');
    expect(releaseSteps[0]).toEqual({ attach_workspace: { at: '/tmp/workspace' } });
    const b = box();
    writeFileSync(join(b.dir, 'bin', 'circleci-agent'), '#!/bin/sh\nprintf "%s\\n" "$*" >> "$FAKE_NPM_LOG"\n');
    chmodSync(join(b.dir, 'bin', 'circleci-agent'), 0o755);
    mkdirSync(join(b.dir, 'release'));
    writeFileSync(join(b.dir, 'release', 'run'), 'staging\nprod\n');
    expect(bash(b, halt.command, { RELEASE_ENV: 'dev', RELEASE_WORKSPACE: b.dir }).code).toBe(0);
    expect(b.log()).toEqual(['step halt']);
    const goOn = box();
    mkdirSync(join(goOn.dir, 'release'));
    writeFileSync(join(goOn.dir, 'release', 'run'), 'staging\nprod\n');
    expect(bash(goOn, halt.command, { RELEASE_ENV: 'staging', RELEASE_WORKSPACE: goOn.dir }).code).toBe(0);
    expect(goOn.log()).toEqual([]);
  });

  it('the release step: the parameter in the first environment, the previous one\'s digest later, --yes only when approved', () => {
    const json = (env: string, hex: string) => JSON.stringify({ env, service: 'worker', tag: 'v1', digest: `sha256:${hex}`, outcome: 'released' });
    const workspace = (run: string[], chain: string[], released: Record<string, string> = {}) => {
      const b = box();
      mkdirSync(join(b.dir, 'release'));
      writeFileSync(join(b.dir, 'release', 'run'), `${run.join('\n')}\n`);
      writeFileSync(join(b.dir, 'release', 'chain'), `${chain.join('\n')}\n`);
      for (const [env, hex] of Object.entries(released)) writeFileSync(join(b.dir, 'release', `${env}.json`), json(env, hex));
      return b;
    };
    const base = { RELEASE_SERVICE: 'worker', RELEASE_IMAGE: 'v1', RELEASE_ROLLBACK: 'false', RELEASE_APPROVED: 'false' };

    // worker: staging first (the parameter), then prod with staging's digest
    const staging = workspace(['staging', 'prod'], ['staging', 'prod']);
    expect(bash(staging, releaseRun.command, { ...base, RELEASE_ENV: 'staging', RELEASE_WORKSPACE: staging.dir, FAKE_JSON: json('staging', IMAGE_HEX) }).code).toBe(0);
    expect(staging.log()).toEqual([`run release -- staging worker v1 --json-out ${staging.dir}/release/staging.json --timeout-minutes 60 --migrate-timeout-minutes 40`]);
    expect(staging.out('release/staging.json')).toBe(json('staging', IMAGE_HEX));

    const prod = workspace(['staging', 'prod'], ['staging', 'prod'], { staging: IMAGE_HEX });
    expect(bash(prod, releaseRun.command, { ...base, RELEASE_ENV: 'prod', RELEASE_APPROVED: 'true', RELEASE_WORKSPACE: prod.dir, FAKE_JSON: json('prod', IMAGE_HEX) }).code).toBe(0);
    expect(prod.log()).toEqual([`run release -- prod worker v1@sha256:${IMAGE_HEX} --json-out ${prod.dir}/release/prod.json --timeout-minutes 60 --migrate-timeout-minutes 40 --yes`]);

    // api without staging (dev, prod): prod takes dev's digest
    const skip = workspace(['dev', 'prod'], ['dev', 'prod'], { dev: OTHER_HEX });
    expect(bash(skip, releaseRun.command, { ...base, RELEASE_ENV: 'prod', RELEASE_APPROVED: 'true', RELEASE_WORKSPACE: skip.dir }).code).toBe(0);
    expect(skip.log()[0]).toContain(`run release -- prod worker v1@sha256:${OTHER_HEX} `);

    // the previous environment's --json-out is missing: nothing is released
    const missing = workspace(['staging', 'prod'], ['staging', 'prod']);
    expect(bash(missing, releaseRun.command, { ...base, RELEASE_ENV: 'prod', RELEASE_WORKSPACE: missing.dir }).code).not.toBe(0);
    expect(missing.log()).toEqual([]);

    // a hostile parameter never reaches npm, even in a release job
    const hostile = workspace(['dev'], ['dev']);
    expect(bash(hostile, releaseRun.command, { ...base, RELEASE_IMAGE: 'v1$(touch PWNED)', RELEASE_ENV: 'dev', RELEASE_WORKSPACE: hostile.dir }).code).toBe(2);
    expect(hostile.log()).toEqual([]);
    expect(existsSync(join(hostile.dir, 'PWNED'))).toBe(false);

    const rollback = workspace(['prod'], ['dev', 'staging', 'prod']);
    expect(bash(rollback, releaseRun.command, { ...base, RELEASE_IMAGE: '', RELEASE_ROLLBACK: 'true', RELEASE_APPROVED: 'true', RELEASE_ENV: 'prod', RELEASE_WORKSPACE: rollback.dir }).code).toBe(0);
    expect(rollback.log()).toEqual(['run release -- prod worker --rollback --timeout-minutes 60 --yes']);
    expect(releaseRun.no_output_timeout).toBe('20m');
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

  it('README "Pipelines" documents the triggers, rollback, chain, digest promotion, approvals and pins', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('\n## Pipelines\n'), readme.indexOf('\n## Pipeline identities\n'));
    for (const text of ['gh workflow run release.yml', '-f rollback=true', 'release:chain', '@sha256:', '--yes', 'circleci run oidc get', 'no_output_timeout', '--ignore-scripts', 'TERRAFORM_SHA256', '--status', '"rollback":true']) {
      expect(section).toContain(text);
    }
    expect(section).not.toContain('workflow_call');
  });
});
