// `npm run apply -- <env> [<stack>...]` against the stand-in terraform of __tests__/bin: it applies
// exactly the saved plans, in order, and refuses before applying anything when it should.
import { EventEmitter } from 'node:events';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { appliedPlans, calls, commitChange, copyProject, events, fixtures, makeProject, run, signalsReceived, type FakeTerraform, type Project } from './fixtures/terraform-harness';

const saved = (project: Project, stack: string, env = 'dev') => join(project.root, 'plans', env, `${stack}.tfplan`);
const applies = (project: Project) => calls(project).filter((c) => c.argv[0] === 'apply');

/** A project whose plans/dev/ was made by `npm run plan -- dev` with `fake`; the log then starts empty. */
/**
 * A project whose plan run (`npm run plan -- <args>` against the stand-in with `fake`) succeeded. Each
 * distinct plan runs once per file; tests get a copy of its project, since applying changes it.
 */
const plannedProjects = new Map<string, Project>();
async function planned(fake: FakeTerraform = {}, args: string[] = ['dev'], env = 'dev'): Promise<Project> {
  const key = JSON.stringify([fake, args, env]);
  let project = plannedProjects.get(key);
  if (!project) {
    project = makeProject(env);
    const result = await run('plan', project, args, fake);
    if (result.status !== 0) throw new Error(`plan failed: ${result.stderr}`);
    rmSync(project.log, { force: true });
    plannedProjects.set(key, project);
  }
  return copyProject(project);
}

describe('npm run apply', () => {
  it('applies exactly the saved plan files, in dependency order, after init and a review of each saved plan; never plans', async () => {
    const project = await planned({ plans: { 'dev-app': 'app-update.json' } });
    const result = await run('apply', project, ['dev']);
    expect(result.status).toBe(0);
    const stacks = ['dev-network', 'dev-data', 'dev-app'];
    // of each saved plan, its copy verified against the set's checksum
    const copies = calls(project).filter((c) => c.argv[0] !== 'init').map((c) => c.argv.at(-1)!);
    const verified = dirname(copies[0]);
    expect(verified.startsWith(join(tmpdir(), 'apply-dev-'))).toBe(true);
    const lines = calls(project).map((c) => `${c.stack}: ${c.argv.join(' ')}`);
    // the reviews (side by side: the inits in order, the shows as they come), then the applies in order
    expect(lines.filter((l) => l.includes(': init '))).toEqual(stacks.map((stack) => `${stack}: init -input=false -reconfigure -lockfile=readonly`));
    expect(lines.slice(0, 6).filter((l) => l.includes(': show ')).sort()).toEqual(stacks.map((stack) => `${stack}: show -json ${join(verified, `${stack}.tfplan`)}`).sort());
    expect(lines.slice(6)).toEqual(stacks.map((stack) => `${stack}: apply -input=false ${join(verified, `${stack}.tfplan`)}`));
    expect(appliedPlans(project)).toEqual(['dev-network empty.json', 'dev-data empty.json', 'dev-app app-update.json']);
    expect(existsSync(verified)).toBe(false);
    expect(calls(project).some((c) => c.argv[0] === 'plan')).toBe(false);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('apply dev: applied dev-network, dev-data, dev-app.');
    // the lock file the plan's init wrote is the one apply's init reads
    expect(readFileSync(join(project.synthDir, 'stacks', 'dev-app', '.terraform.lock.hcl'), 'utf8')).toContain('written by init in dev-app');
  });

  it('reviews the plans side by side (a show -json runs while another one does), the inits one at a time; then applies one after the other', async () => {
    const project = await planned();
    // dev-network's show answers only once dev-app's has started: one after the other, it never would
    const planning = events(project).length;
    const result = await run('apply', project, ['dev'], { await: ['show:dev-network:show:dev-app'] });
    expect(result.status).toBe(0);
    const log = events(project).slice(planning);
    const inits = log.filter((e) => e.includes(' init '));
    for (let i = 0; i < inits.length; i += 2) expect(inits[i + 1]).toBe(inits[i].replace('start', 'end'));
    expect(log.indexOf('start show dev-app')).toBeLessThan(log.indexOf('end show dev-network'));
    // no apply starts before every review has ended, and applies never overlap
    const applyEvents = log.filter((e) => e.includes(' apply '));
    expect(log.indexOf(applyEvents[0])).toBeGreaterThan(Math.max(...log.map((e, i) => (e.includes(' show ') ? i : -1))));
    expect(applyEvents).toEqual(['dev-network', 'dev-data', 'dev-app'].flatMap((s) => [`start apply ${s}`, `end apply ${s}`]));
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
    expect(applies(project)).toEqual([]);
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

  it('a damaged or edited metadata.json: one line saying plan again (exit 2), no stack trace, nothing run', async () => {
    const project = await planned();
    const file = join(project.root, 'plans', 'dev', 'metadata.json');
    const metadata = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, '{"env": "dev", "stacks": [');
    const truncated = await run('apply', project, ['dev']);
    expect(truncated.status).toBe(2);
    expect(truncated.stderr).toMatch(/^apply: plan set plans\/dev: metadata\.json is not what `npm run plan` writes \(not JSON: [^\n]+\): plan again\n$/);
    writeFileSync(file, JSON.stringify({ ...metadata, sha256: { 'dev-data': 42 } }));
    const edited = await run('apply', project, ['dev']);
    expect(edited.status).toBe(2);
    expect(edited.stderr).toMatch(/^apply: plan set plans\/dev: metadata\.json is not what `npm run plan` writes \(sha256\.dev-data: [^\n]+\): plan again\n$/);
    writeFileSync(file, JSON.stringify({ ...metadata, stale: 'none' }));
    expect((await run('apply', project, ['dev'])).stderr).toContain('(stale: ');
    expect(calls(project)).toEqual([]);
  });

  it('reviews and applies the copy it verified: a saved plan replaced after the check is never read; the copies are private and removed', async () => {
    const project = await planned();
    let mode = 0;
    const onLog = (line: string) => {
      // after the review of every plan, before dev-data is applied: its saved plan is replaced
      if (line.startsWith('[1/3] dev-network: terraform apply')) {
        writeFileSync(saved(project, 'dev-data'), 'FAKEPLAN\ndev-data\n../apply-plans/data-replace.json\n');
        mode = statSync(dirname(calls(project).at(-1)!.argv.at(-1)!)).mode & 0o777;
      }
    };
    const result = await run('apply', project, ['dev'], {}, {}, { onLog });
    expect(result.status).toBe(0);
    expect(appliedPlans(project)).toEqual(['dev-network empty.json', 'dev-data empty.json', 'dev-app empty.json']);
    expect(mode).toBe(0o700);
  });

  it('a checkout git cannot read: refused (the plans\' commit cannot be checked), nothing run', async () => {
    const project = await planned();
    writeFileSync(join(project.root, '.git', 'index'), 'garbage\n');
    const result = await run('apply', project, ['dev']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`apply: git cannot read the checkout ${project.root}: fatal: .git/index: index file smaller than expected: the plans' commit cannot be checked; nothing was applied`);
    expect(calls(project)).toEqual([]);
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

  it('a plan Terraform finds stale: one line naming the stack, saying plan again (exit 1)', async () => {
    const project = await planned();
    const result = await run('apply', project, ['dev'], { fail: ['apply:dev-data:stale'] });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('apply: dev-data: terraform apply: the saved plan is stale (the state changed since it was made, e.g. another apply): plan again (`npm run plan -- dev`).\n');
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network', 'dev-data']);
    const failed = await run('apply', await planned(), ['dev'], { fail: ['apply:dev-network'] });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('dev-network: terraform apply failed (exit 1):\n');
    expect(failed.stderr).toContain('Error: creating RDS DB Instance');
  });

  it('bad input: unknown environment or stack (exit 2, no terraform run)', async () => {
    const project = await planned();
    expect((await run('apply', project, ['qa'])).stderr).toBe('apply: unknown environment "qa" (dev, staging, prod)\n');
    expect((await run('apply', project, ['qa'])).status).toBe(2);
    const stack = await run('apply', project, ['dev', 'dev-Cache!']);
    expect(stack.status).toBe(2);
    expect(calls(project)).toEqual([]);
  });

  it('reviews the saved plan itself (show -json of the .tfplan): an edited JSON beside it lets no DANGER through', async () => {
    const project = await planned({ plans: { 'dev-data': '../apply-plans/data-replace.json' } });
    // the JSON of the set now says "nothing to see"
    writeFileSync(join(project.root, 'plans', 'dev', 'dev-data.json'), readFileSync(join(fixtures, 'empty.json')));
    const refused = await run('apply', project, ['dev']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('warning: dev-data: plans/dev/dev-data.json is not what the saved plan says (edited?); the review below is of the saved plan itself');
    expect(refused.stdout).toContain('DANGER dev-data aws_db_instance.database_primary_5F1E2D3C');
    expect(refused.stderr).toContain('refusing: 1 DANGER change(s)');
    expect(applies(project)).toEqual([]);
    // without the JSON at all, the same review
    rmSync(join(project.root, 'plans', 'dev', 'dev-data.json'));
    expect((await run('apply', project, ['dev'])).stderr).toContain('refusing: 1 DANGER change(s)');
    expect((await run('apply', project, ['dev', '--allow-destroy'])).status).toBe(3); // dev-data's outputs change
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network', 'dev-data']);
  });

  it('SIGINT mid-apply: forwarded once to terraform, waits for its graceful stop, says what was and was not applied, exit 130', async () => {
    const project = await planned();
    const signals = new EventEmitter();
    const onLog = (line: string) => line.includes('Still modifying') && signals.emit('SIGINT');
    const result = await run('apply', project, ['dev'], { fail: ['apply:dev-data:wait'] }, {}, { signals, onLog });
    expect(result.status).toBe(130);
    expect(signalsReceived(project)).toEqual(['dev-data apply INT']);
    expect(result.stderr).toContain('apply: SIGINT received: terraform was asked to stop gracefully');
    // it waited: terraform's last lines (state saved, lock released) come before the verdict
    const lines = result.stdout.trim().split('\n');
    expect(lines.findIndex((l) => l.includes('Releasing state lock'))).toBeGreaterThan(0);
    expect(lines.findIndex((l) => l.includes('Releasing state lock'))).toBeLessThan(lines.length - 1);
    expect(lines.at(-1)).toBe('apply dev: interrupted (SIGINT): applied: dev-network; not applied: dev-data, dev-app (dev-data partly: terraform stopped, exit 1; what it completed is in the state). Plan again before applying: `npm run plan -- dev`.');
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network', 'dev-data']);
    expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    // the interrupted stack's plan no longer matches its state
    const again = await run('apply', project, ['dev', 'dev-data']);
    expect(again.stderr).toContain('dev-data: its saved plan is stale (its apply was interrupted)');
    // and so is every plan downstream of it (made with dev-data's outputs as they were): a plain apply
    // applies none of them, and says which and why
    const plain = await run('apply', project, ['dev']);
    expect(plain.status).toBe(1);
    expect(plain.stdout).toContain('dev-data: skipped, its saved plan is stale (its apply was interrupted): plan again');
    expect(plain.stdout).toContain("dev-app: skipped, its saved plan is stale (it reads outputs of dev-data, and dev-data's apply was interrupted): plan again");
    expect(plain.stderr).toBe('apply: nothing left to apply in plans/dev (stale: dev-data, dev-app): run `npm run plan -- dev`\n');
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network', 'dev-data']);
  });

  it('a stack with a stale upstream in the set is never applied: skipped and said (exit 3 when others applied), refused when named', async () => {
    const project = await planned({}, ['dev', 'bootstrap', 'network', 'data', 'app']);
    // a set where only dev-data is marked stale (as an older apply left it)
    const metadataFile = join(project.root, 'plans', 'dev', 'metadata.json');
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8'));
    writeFileSync(metadataFile, JSON.stringify({ ...metadata, stale: [{ stack: 'dev-data', because: 'its apply was interrupted' }] }));
    const named = await run('apply', project, ['dev', 'dev-app']);
    expect(named.status).toBe(1);
    expect(named.stderr).toBe('apply: dev-app: its saved plan is stale (it reads outputs of dev-data, whose saved plan is stale: its apply was interrupted): run `npm run plan -- dev` again\n');
    expect(applies(project)).toEqual([]);
    const plain = await run('apply', project, ['dev']);
    expect(plain.status).toBe(3);
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-bootstrap', 'dev-network']);
    expect(plain.stdout).toContain('dev-app: skipped, its saved plan is stale (it reads outputs of dev-data, whose saved plan is stale: its apply was interrupted): plan again');
    expect(plain.stdout.trim().split('\n').at(-1)).toBe('apply dev: applied dev-bootstrap, dev-network; skipped as stale: dev-data, dev-app (plan again: `npm run plan -- dev`).');
  });

  it('a second, deliberate signal after terraform took the first is forwarded (terraform aborts at once) and said; the same ctrl-C arriving twice counts once', async () => {
    const project = await planned();
    const signals = new EventEmitter();
    let clock = 0;
    const onLog = (line: string) => {
      // terminal + npm: one ctrl-C, two SIGINTs before terraform reacts
      if (line.includes('Still modifying')) signals.emit('SIGINT') && signals.emit('SIGINT');
      // a kill well after the graceful window
      if (line.includes('Stopping operation')) (clock = 90_000), signals.emit('SIGTERM');
    };
    const result = await run('apply', project, ['dev'], { fail: ['apply:dev-data:stubborn'] }, {}, { signals, onLog, now: () => clock });
    expect(result.status).toBe(130);
    expect(signalsReceived(project)).toEqual(['dev-data apply INT', 'dev-data apply TERM']);
    expect(result.stderr).toContain('SIGINT received again before terraform took the first one: taken as the same interrupt');
    expect(result.stderr).toContain('apply: SIGTERM received again: forwarded; terraform aborts at once');
    expect(result.stdout).toContain('Two interrupts received. Exiting immediately.');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^apply dev: interrupted \(SIGINT\): applied: dev-network; not applied: dev-data, dev-app/);
  });

  it('only "Interrupt received" says terraform took the signal: a progress line it wrote before does not turn the copy of a ctrl-C into a second interrupt', async () => {
    const project = await planned();
    const signals = new EventEmitter();
    let clock = 0;
    const onLog = (line: string) => {
      if (line.includes('[10s elapsed]')) signals.emit('SIGINT');
      // npm's copy of the ctrl-C, late (2 s by the clock), after a line terraform wrote before it took the first
      if (line.includes('[20s elapsed]')) (clock = 2_000), signals.emit('SIGINT');
      if (line.includes('Stopping operation')) writeFileSync(`${project.log}.go`, '');
    };
    const result = await run('apply', project, ['dev'], { fail: ['apply:dev-data:slow'] }, {}, { signals, onLog, now: () => clock });
    expect(result.status).toBe(130);
    expect(signalsReceived(project)).toEqual(['dev-data apply INT']);
    expect(result.stderr).toContain('apply: SIGINT received again before terraform took the first one: taken as the same interrupt');
    expect(result.stdout).toContain('Releasing state lock');
    expect(result.stdout).not.toContain('Two interrupts received');
  });

  it("a CI cancel (SIGINT, then SIGTERM 7.5 s later, each maybe twice): the SIGTERM is not forwarded, terraform goes on stopping gracefully; a further signal aborts it", async () => {
    const project = await planned();
    const signals = new EventEmitter();
    let clock = 0;
    const onLog = (line: string) => {
      if (line.includes('[10s elapsed]')) signals.emit('SIGINT');
      if (line.includes('Stopping operation')) {
        clock = 7_500;
        signals.emit('SIGTERM');
        clock = 7_510; // npm's copy
        signals.emit('SIGTERM');
        writeFileSync(`${project.log}.go`, '');
      }
    };
    const cancelled = await run('apply', project, ['dev'], { fail: ['apply:dev-data:slow'] }, {}, { signals, onLog, now: () => clock });
    expect(cancelled.status).toBe(130);
    expect(signalsReceived(project)).toEqual(['dev-data apply INT']);
    expect(cancelled.stderr).toContain('apply: SIGTERM received 7.5 s after SIGINT: taken as a supervisor escalating its stop (CI cancel or timeout), not forwarded: terraform goes on stopping gracefully. Another signal aborts it at once.');
    expect(cancelled.stdout).toContain('Releasing state lock');
    expect(cancelled.stdout).not.toContain('Two interrupts received');

    // the operator insists after that: forwarded
    const insisting = await planned();
    clock = 0;
    const again = (line: string) => {
      if (line.includes('Still modifying')) signals.emit('SIGINT');
      if (line.includes('Stopping operation')) (clock = 7_500), signals.emit('SIGTERM'), (clock = 9_000), signals.emit('SIGTERM');
    };
    const aborted = await run('apply', insisting, ['dev'], { fail: ['apply:dev-data:stubborn'] }, {}, { signals, onLog: again, now: () => clock });
    expect(aborted.status).toBe(130);
    expect(signalsReceived(insisting)).toEqual(['dev-data apply INT', 'dev-data apply TERM']);
    expect(aborted.stdout).toContain('Two interrupts received. Exiting immediately.');
  });

  it('a signal between two stacks: the next one is not started (exit 143 for SIGTERM)', async () => {
    const project = await planned();
    const signals = new EventEmitter();
    const onLog = (line: string) => line === '[1/3] dev-network: applied' && signals.emit('SIGTERM');
    const result = await run('apply', project, ['dev'], {}, {}, { signals, onLog });
    expect(result.status).toBe(143);
    expect(result.stderr).toContain('apply: SIGTERM received: stopping before the next step');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('apply dev: interrupted (SIGTERM) before dev-data: applied: dev-network; not applied: dev-data, dev-app.');
    expect(applies(project).map((c) => c.stack)).toEqual(['dev-network']);
    expect(signalsReceived(project)).toEqual([]);
  });

  it('a held state lock: its ID, holder and time, and the exact force-unlock in the stack directory, once', async () => {
    const project = await planned();
    const result = await run('apply', project, ['dev'], { fail: ['apply:dev-data:lock'] });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      [
        'apply: dev-data: the state is locked by another run: lock ID 5f0c2f4e-1d2a-7b3c-9e8f-0a1b2c3d4e5f, held by alice@build-7 (OperationTypeApply, since 2025-05-01 09:30:00.123456 +0000 UTC, Terraform 1.11.0), state example-state/dev-data.tfstate.',
        '    If that run is still going, wait for it. Only if it is dead (killed mid-run), release the lock with',
        '      cd synth/stacks/dev-data && terraform force-unlock 5f0c2f4e-1d2a-7b3c-9e8f-0a1b2c3d4e5f',
        '    then plan again.',
        '',
      ].join('\n'),
    );
    const mine = await run('apply', await planned(), ['dev'], { fail: ['apply:dev-network:lock'] }, { FAKE_TF_LOCK_WHO: 'tester@test-host' });
    expect(mine.stderr).toContain('It looks like a dead run of this machine (tester@test-host, and no terraform process runs here): release it with');
  });

  it('credentials expiring mid-apply: errored.tfstate kept (and copied out of cdktf.out), the exact recovery printed, exit 1; plan and apply refuse until it is pushed', async () => {
    const project = await planned();
    const result = await run('apply', project, ['dev'], { fail: ['apply:dev-data:expired'] });
    expect(result.status).toBe(1);
    const errored = join(project.synthDir, 'stacks', 'dev-data', 'errored.tfstate');
    const kept = join(project.root, 'plans', 'dev.recovery', 'dev-data.errored.tfstate');
    expect(existsSync(errored)).toBe(true);
    expect(readFileSync(kept, 'utf8')).toBe(readFileSync(errored, 'utf8'));
    expect(result.stderr).toContain(`apply: dev-data: terraform could not save the state (credentials expired mid-apply?); it is in ${kept} (kept: do not delete it`);
    expect(result.stderr).toContain(`cd synth/stacks/dev-data && terraform init -input=false -reconfigure && terraform state push -lock=false ${kept}`);
    expect(result.stderr).toContain('npm run plan -- dev    # stops on the failed run\'s lock and prints the exact terraform force-unlock');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('apply dev: failed in dev-data, its state not saved: applied: dev-network; not applied: dev-data, dev-app (dev-data partly).');
    rmSync(project.log);
    for (const command of ['plan', 'apply'] as const) {
      const refused = await run(command, project, ['dev']);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`${command}: refusing: dev-data of dev has a state that was not saved; push it first (above)`);
      expect(refused.stderr).toContain(`terraform state push -lock=false ${kept}`);
    }
    expect(calls(project)).toEqual([]);
    expect(existsSync(kept)).toBe(true);
    // once pushed: dev-data's plan and those downstream of it are stale, none is applied
    rmSync(kept);
    const after = await run('apply', project, ['dev']);
    expect(after.status).toBe(1);
    expect(after.stdout).toContain("dev-app: skipped, its saved plan is stale (it reads outputs of dev-data, and dev-data's apply could not save the state): plan again");
    expect(calls(project)).toEqual([]);
  });

  it('providers that differ from the lock file, at init or apply: one line saying plan again', async () => {
    const atInit = await run('apply', await planned(), ['dev'], { fail: ['init:dev-data:checksum'] });
    expect(atInit.status).toBe(1);
    expect(atInit.stderr).toBe('apply: dev-data: terraform init: the provider packages differ from the lock file the plan was made with: plan again (`npm run plan -- dev`).\n');
    const atApply = await run('apply', await planned(), ['dev'], { fail: ['apply:dev-app:checksum'] });
    expect(atApply.stderr).toBe('apply: dev-app: terraform apply: the provider packages differ from the lock file the plan was made with: plan again (`npm run plan -- dev`).\n');
  });

  describe('production (prod: production: true)', () => {
    const noCi = { CI: '' };
    it('outside CI without a terminal: refused unless --yes (exit 2, nothing run); in CI or with --yes it applies', async () => {
      const project = await planned({}, ['prod'], 'prod');
      const refused = await run('apply', project, ['prod'], {}, noCi);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toBe('apply: prod is a production environment: confirm on a terminal (run it in one), or pass --yes after your own approval step; nothing was applied\n');
      expect(calls(project)).toEqual([]);
      expect((await run('apply', project, ['prod', '--yes'], {}, noCi)).status).toBe(0);
      const ci = await planned({}, ['prod'], 'prod');
      expect((await run('apply', ci, ['prod'], {}, { CI: 'true' })).status).toBe(0);
    });

    it('on a terminal: asks for the environment name after the review; a wrong answer applies nothing (exit 2)', async () => {
      const project = await planned({}, ['prod'], 'prod');
      const questions: string[] = [];
      const answer = (text: string) => async (question: string) => (questions.push(question), text);
      const wrong = await run('apply', project, ['prod'], {}, noCi, { prompt: answer('dev') });
      expect(wrong.status).toBe(2);
      expect(wrong.stderr).toContain('apply: "dev" is not prod: not confirmed; nothing was applied');
      expect(questions).toEqual(['prod is a production environment. Type its name to apply the plans above: ']);
      expect(applies(project)).toEqual([]);
      expect((await run('apply', project, ['prod'], {}, noCi, { prompt: answer('prod\n') })).status).toBe(0);
      expect(applies(project).map((c) => c.stack)).toEqual(['prod-network', 'prod-data', 'prod-app']);
    });

    it('plans made from uncommitted changes to what synth reads need --allow-dirty-plan', async () => {
      const project = makeProject('prod');
      mkdirSync(join(project.root, 'src'));
      writeFileSync(join(project.root, 'src', 'extra.ts'), 'export {};\n');
      expect((await run('plan', project, ['prod'])).status).toBe(0);
      const refused = await run('apply', project, ['prod', '--yes'], {}, noCi);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/^apply: prod is a production environment and its plans were made from uncommitted changes \(\?\? src\/extra\.ts\) on top of [0-9a-f]{12}: commit them and plan again, or pass --allow-dirty-plan; nothing was applied$/m);
      expect(calls(project).filter((c) => c.argv[0] === 'apply')).toEqual([]);
      const allowed = await run('apply', project, ['prod', '--yes', '--allow-dirty-plan'], {}, noCi);
      expect(allowed.status).toBe(0);
      expect(allowed.stderr).toContain('warning: prod: the plans were made from uncommitted changes (?? src/extra.ts)');
    });
  });
});
