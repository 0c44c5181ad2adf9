// The commands as a user runs them: exit codes and messages, not internals.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calls, makeProject, run as runCommand } from './fixtures/terraform-harness';

const root = join(__dirname, '..');
function run(script: string, env: Record<string, string>, args: string[] = []) {
  return spawnSync(process.execPath, ['-r', './scripts/ts-register.cjs', script, ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
}

describe('synth (main.ts)', () => {
  it('writes every environment\'s stacks, none of which depends on IMAGE_TAG or the commit', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'out-'));
    const result = run('main.ts', { CDKTF_OUTDIR: outdir, IMAGE_TAG: 'abc1234', GITHUB_SHA: 'def5678' });
    expect(result.status).toBe(0);
    const stacks = readdirSync(join(outdir, 'stacks')).sort();
    expect(stacks).toEqual(expect.arrayContaining(['dev-bootstrap', 'dev-network', 'prod-bootstrap', 'prod-network', 'staging-bootstrap', 'staging-network']));
    for (const stack of stacks) expect(readFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')).not.toMatch(/abc1234|def5678/);
  });

  it('bad input: exit 1, one line per problem, no stack trace, and no deployable output left behind', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'out-'));
    mkdirSync(join(outdir, 'stacks'));
    writeFileSync(join(outdir, 'manifest.json'), '{"stacks":{}}'); // a previous synth's output
    const result = run('main.ts', { CDKTF_OUTDIR: outdir, ENVIRONMENTS: 'prod,qa' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ENVIRONMENTS: "qa" is not a defined environment (dev, staging, prod)');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(outdir)).toBe(false);
  });
});

describe('npm run validate (scripts/validate.ts)', () => {
  it('never skips: a TF_PROVIDER_SCHEMA that does not exist is an error naming it, outside CI too', () => {
    const result = run('scripts/validate.ts', { TF_PROVIDER_SCHEMA: '/nonexistent/schema.json', CI: '' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('TF_PROVIDER_SCHEMA=/nonexistent/schema.json does not exist');
  });

  it('fails when no schema is found under CI=true', () => {
    const result = run('scripts/validate.ts', { TF_PROVIDER_SCHEMA: '/nonexistent/schema.json', CI: 'true' });
    expect(result.status).toBe(1);
  });

  it('reports problems in synthesized output with exit 1', () => {
    const schema = join(mkdtempSync(join(tmpdir(), 'schema-')), 'schema.json');
    // A schema that knows no resource: every synthesized resource is unknown.
    writeFileSync(schema, JSON.stringify({ format_version: '1.0', provider_schemas: { aws: { resource_schemas: {} } } }));
    const result = run('scripts/validate.ts', { TF_PROVIDER_SCHEMA: schema, ENVIRONMENTS: 'dev' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('dev-network: aws_vpc: unknown resource type');
  });
});

describe('npm run review (scripts/review.ts)', () => {
  it('compares the working tree with a base and writes Markdown and JSON reports', () => {
    const out = mkdtempSync(join(tmpdir(), 'review-'));
    // --allow-destroy: the outcome must not depend on what is uncommitted in the working tree.
    const result = run('scripts/review.ts', { ENVIRONMENTS: 'dev' }, ['--base', 'HEAD', '--out', out, '--allow-destroy']);
    expect(result.stdout).toContain('Compared with');
    expect(result.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['review.json', 'review.md']);
  });

  it('an unknown base: exit 2 with a message, no stack trace', () => {
    const result = run('scripts/review.ts', {}, ['--base', 'no-such-ref-anywhere']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^review: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('npm run lock (scripts/lock.ts)', () => {
  it('writes locks/<stack>.terraform.lock.hcl for every stack, bootstrap included, for linux_amd64 and darwin_arm64', () => {
    const project = makeProject();
    const result = runCommand('lock', project, ['dev']);
    expect(result.status).toBe(0);
    expect(calls(project).map((c) => `${c.stack}: ${c.argv.join(' ')}`)).toEqual(
      ['dev-bootstrap', 'dev-network', 'dev-data', 'dev-app'].map((s) => `${s}: providers lock -platform=linux_amd64 -platform=darwin_arm64`),
    );
    expect(readdirSync(join(project.root, 'locks')).sort()).toEqual(['dev-app', 'dev-bootstrap', 'dev-data', 'dev-network'].map((s) => `${s}.terraform.lock.hcl`));
    expect(readFileSync(join(project.root, 'locks', 'dev-app.terraform.lock.hcl'), 'utf8')).toContain('linux_amd64 darwin_arm64');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^lock: wrote 4 lock file\(s\)/);
  });

  it('without registry access: exit 1 naming the stack; unknown environment: exit 2', () => {
    const failed = runCommand('lock', makeProject(), ['dev'], { fail: ['lock:dev-network'] });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('lock: dev-network: terraform providers lock failed (exit 1; it needs the Terraform registry)');
    const env = runCommand('lock', makeProject(), ['qa']);
    expect(env.status).toBe(2);
    expect(env.stderr).toBe('lock: unknown environment "qa" (dev, staging, prod)\n');
  });
});
