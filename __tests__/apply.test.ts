// `npm run apply -- <env> [<stack>...]` against the stand-in terraform of __tests__/bin: it applies
// exactly the saved plans, in order, and refuses before applying anything when it should.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calls, commitChange, makeProject, run, type FakeTerraform, type Project } from './fixtures/terraform-harness';

const saved = (project: Project, stack: string, env = 'dev') => join(project.root, 'plans', env, `${stack}.tfplan`);
const applies = (project: Project) => calls(project).filter((c) => c.argv[0] === 'apply');

/** A project whose plans/dev/ was made by `npm run plan -- dev` with `fake`; the log then starts empty. */
async function planned(fake: FakeTerraform = {}, args: string[] = ['dev']): Promise<Project> {
  const project = makeProject();
  const result = await run('plan', project, args, fake);
  if (result.status !== 0) throw new Error(`plan failed: ${result.stderr}`);
  rmSync(project.log, { force: true });
  return project;
}

describe('npm run apply', () => {
  it('applies exactly the saved plan files, in dependency order, after init; never plans', async () => {
    const project = await planned({ plans: { 'dev-app': 'app-update.json' } });
    const result = await run('apply', project, ['dev']);
    expect(result.status).toBe(0);
    expect(calls(project).map((c) => `${c.stack}: ${c.argv.join(' ')}`)).toEqual(
      ['dev-network', 'dev-data', 'dev-app'].flatMap((stack) => [`${stack}: init -input=false -reconfigure -lockfile=readonly`, `${stack}: apply -input=false ${saved(project, stack)}`]),
    );
    expect(calls(project).some((c) => c.argv[0] === 'plan')).toBe(false);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('apply dev: applied dev-network, dev-data, dev-app.');
    // the lock file the plan's init wrote is the one apply's init reads
    expect(readFileSync(join(project.synthDir, 'stacks', 'dev-app', '.terraform.lock.hcl'), 'utf8')).toContain('written by init in dev-app');
  });

  it('named stacks only; a stack applied from this set is not applied again', async () => {
    const project = await planned();
    expect((await run('apply', project, ['dev', 'dev-data'])).status).toBe(0);
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-data']);
    const again = await run('apply', project, ['dev']);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('dev-data: already applied from this set, skipped');
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-data', 'dev-network', 'dev-app']);
  });

  it('refuses a set with a DANGER before applying anything; --allow-destroy applies it', async () => {
    const project = await planned({ plans: { 'dev-app': 'app-danger.json' } });
    const refused = await run('apply', project, ['dev']);
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('DANGER dev-app aws_ecr_repository.registry_worker');
    expect(refused.stderr).toContain('refusing: 2 DANGER change(s)');
    expect(calls(project)).toEqual([]);
    expect((await run('apply', project, ['dev', '--allow-destroy'])).status).toBe(0);
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network', 'dev-data', 'dev-app']);
  });

  it('stale downstream: after an upstream whose outputs change, stop with exit 3 naming the stacks to plan again', async () => {
    const project = await planned({ plans: { 'dev-network': 'network-create.json' } });
    const result = await run('apply', project, ['dev']);
    expect(result.status).toBe(3);
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network']);
    expect(result.stdout).toContain('stopped: dev-network changed its outputs vpc_id, and dev-data, dev-app read them');
    expect(result.stderr).toContain('plan again: `npm run plan -- dev` (stacks: dev-data, dev-app)');
    // their plans are now refused
    const stale = await run('apply', project, ['dev', 'dev-app']);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toContain('dev-app: its saved plan is stale (dev-network changed its outputs vpc_id)');
    expect(applies(project)).toHaveLength(1);
  });

  it('first deploy: deferred stacks are not applied; exit 3 asks for another plan round', async () => {
    const project = await planned({ plans: { 'dev-network': 'network-create.json' }, fail: ['plan:dev-data', 'plan:dev-app'] });
    const result = await run('apply', project, ['dev']);
    expect(result.status).toBe(3);
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network']);
    const missing = await run('apply', project, ['dev', 'dev-data']);
    expect(missing.stderr).toContain('dev-data: its saved plan is stale');
  });

  it('refuses when there are no saved plans, or a named stack has none', async () => {
    const none = await run('apply', makeProject(), ['dev']);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('apply: no saved plans for dev in plans/dev: run `npm run plan -- dev` first');
    const project = await planned({}, ['dev', 'dev-network']);
    const missing = await run('apply', project, ['dev', 'dev-app']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('dev-app: no saved plan in plans/dev');
    expect(calls(project)).toEqual([]);
  });

  it('refuses a set whose plan file is missing or is not the file the plan run saved', async () => {
    const project = await planned();
    rmSync(saved(project, 'dev-app'));
    const missing = await run('apply', project, ['dev']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('dev-app: saved plan missing (plans/dev/dev-app.tfplan)');
    const other = await planned();
    writeFileSync(saved(other, 'dev-data'), 'FAKEPLAN\ndev-data\napp-danger.json\n');
    const altered = await run('apply', other, ['dev']);
    expect(altered.status).toBe(1);
    expect(altered.stderr).toContain('dev-data: plans/dev/dev-data.tfplan is not the file the plan run saved');
    expect(calls(project).concat(calls(other))).toEqual([]);
  });

  it('refuses plans of another environment or commit', async () => {
    const project = await planned();
    cpSync(join(project.root, 'plans', 'dev'), join(project.root, 'plans', 'staging'), { recursive: true });
    const env = await run('apply', project, ['staging']);
    expect(env.status).toBe(1);
    expect(env.stderr).toContain('plans/staging holds plans of environment dev, not staging');
    commitChange(project);
    const commit = await run('apply', project, ['dev']);
    expect(commit.status).toBe(1);
    expect(commit.stderr).toMatch(/the plans in plans\/dev were made from commit [0-9a-f]{40}, this checkout is [0-9a-f]{40}/);
    expect(calls(project)).toEqual([]);
    // the saved plans carry their configuration: applying them from another checkout is an explicit choice
    const allowed = await run('apply', project, ['dev', '--allow-other-commit']);
    expect(allowed.status).toBe(0);
    expect(allowed.stderr).toContain('applying the saved plans as they are (--allow-other-commit)');
  });

  it('a plan Terraform finds stale fails with terraform\'s message and the stack\'s name (exit 1)', async () => {
    const project = await planned();
    const result = await run('apply', project, ['dev'], { fail: ['apply:dev-data:stale'] });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('apply: dev-data: terraform apply failed (exit 1). The saved plan is stale');
    expect(result.stderr).toContain('Error: Saved plan is stale');
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network', 'dev-data']);
    const failed = await run('apply', await planned(), ['dev'], { fail: ['apply:dev-network'] });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('dev-network: terraform apply failed (exit 1).\n');
  });

  it('bad input: unknown environment or stack, JSON in the set that is not plan JSON (exit 2)', async () => {
    const project = await planned();
    expect((await run('apply', project, ['qa'])).stderr).toBe('apply: unknown environment "qa" (dev, staging, prod)\n');
    expect((await run('apply', project, ['qa'])).status).toBe(2);
    const stack = await run('apply', project, ['dev', 'dev-Cache!']);
    expect(stack.status).toBe(2);
    writeFileSync(join(project.root, 'plans', 'dev', 'dev-app.json'), '{"name":"not a plan"}');
    const json = await run('apply', project, ['dev']);
    expect(json.status).toBe(2);
    expect(json.stderr).toContain('dev-app.json: not Terraform JSON output');
    expect(calls(project)).toEqual([]);
  });
});
