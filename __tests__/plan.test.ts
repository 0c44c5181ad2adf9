// `npm run plan -- <env> [<stack>...]` against the stand-in terraform of __tests__/bin.
import { execFileSync } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planCommand } from '../src/terraform/commands';
import { gitState, GitStateError } from '../src/terraform/plan-set';
import { recordingIo } from './fixtures/recording-io';
import { callLines, calls, events, makeProject, run, signalsReceived } from './fixtures/terraform-harness';

const plansOf = (root: string) => readdirSync(join(root, 'plans', 'dev')).sort();

describe('npm run plan', () => {
  it('per stack: init, plan -out=<saved plan>, show -json, stacks side by side, inits one at a time; bootstrap left out', async () => {
    const project = makeProject();
    const result = await run('plan', project, ['dev'], { plans: { 'dev-app': 'app-update.json' } });
    expect(result.status).toBe(0);
    const saved = (stack: string) => join(project.root, 'plans', 'dev', `${stack}.tfplan`);
    for (const stack of ['dev-network', 'dev-data', 'dev-app']) {
      expect(callLines(project).filter((line) => line.startsWith(`${stack}:`))).toEqual([`${stack}: init -input=false -reconfigure`, `${stack}: plan -input=false -out=${saved(stack)}`, `${stack}: show -json ${saved(stack)}`]);
    }
    expect(calls(project)).toHaveLength(9);
    // the inits share the plugin cache: one at a time, in dependency order; each stack's init exits before its plan starts
    const order = events(project);
    expect(order.filter((e) => e.includes(' init '))).toEqual(['dev-network', 'dev-data', 'dev-app'].flatMap((s) => [`start init ${s}`, `end init ${s}`]));
    for (const stack of ['dev-network', 'dev-data', 'dev-app']) {
      expect(order.indexOf(`end init ${stack}`)).toBeLessThan(order.indexOf(`start plan ${stack}`));
      expect(order.indexOf(`end plan ${stack}`)).toBeLessThan(order.indexOf(`start show ${stack}`));
    }
    // terraform runs in each stack's synthesized directory
    for (const call of calls(project)) expect(call.cwd).toBe(join(project.synthDir, 'stacks', call.stack));
    expect(plansOf(project.root)).toEqual(
      ['dev-app', 'dev-data', 'dev-network'].flatMap((s) => [`${s}.json`, `${s}.terraform.lock.hcl`, `${s}.tfplan`]).concat('metadata.json').sort(),
    );
    const metadata = JSON.parse(readFileSync(join(project.root, 'plans', 'dev', 'metadata.json'), 'utf8'));
    expect(metadata).toEqual(expect.objectContaining({ env: 'dev', stacks: ['dev-network', 'dev-data', 'dev-app'], deferred: [], commit: expect.stringMatching(/^[0-9a-f]{40}$/), dirty: false }));
    // progress per stack, the review, and a one-line verdict
    expect(result.stdout).toContain('[3/3] dev-app: saved plans/dev/dev-app.tfplan: +0 ~1 -0 ±0');
    expect(result.stdout).toContain('~ aws_ecs_service.api_service');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^plan dev: 3 plan\(s\) saved in plans\/dev \(1 of 3 stack\(s\) change/);
    expect(readdirSync(join(project.root, 'reports')).sort()).toEqual(['plan-dev.json', 'plan-dev.md']);
  });

  it('named stacks only (full or short name), still in dependency order; bootstrap only when named', async () => {
    const project = makeProject();
    expect((await run('plan', project, ['dev', 'app', 'dev-network'])).status).toBe(0);
    expect(calls(project).filter((c) => c.argv[0] === 'plan').map((c) => c.stack).sort()).toEqual(['dev-app', 'dev-network']);
    expect(JSON.parse(readFileSync(join(project.root, 'plans', 'dev', 'metadata.json'), 'utf8')).stacks).toEqual(['dev-network', 'dev-app']);
    const bootstrap = makeProject();
    expect((await run('plan', bootstrap, ['dev', 'dev-bootstrap'])).status).toBe(0);
    expect(calls(bootstrap).filter((c) => c.argv[0] === 'plan').map((c) => c.stack)).toEqual(['dev-bootstrap']);
  });

  it('each run replaces plans/<env>/: no plan of an earlier run survives', async () => {
    const project = makeProject();
    await run('plan', project, ['dev']);
    writeFileSync(join(project.root, 'plans', 'dev', 'leftover.tfplan'), 'old');
    expect((await run('plan', project, ['dev', 'dev-network'])).status).toBe(0);
    expect(plansOf(project.root)).toEqual(['dev-network.json', 'dev-network.terraform.lock.hcl', 'dev-network.tfplan', 'metadata.json']);
  });

  it('terraform failing: exit 1 naming the stack with terraform\'s error, no metadata (nothing to apply)', async () => {
    const project = makeProject();
    const result = await run('plan', project, ['dev'], { fail: ['plan:dev-data'] });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('plan: dev-data: terraform plan failed (exit 1)');
    expect(result.stderr).toContain('Error: Unable to find remote state');
    expect(existsSync(join(project.root, 'plans', 'dev', 'metadata.json'))).toBe(false);
    // every stack that failed side by side is named, each once
    const both = await run('plan', makeProject(), ['dev'], { fail: ['plan:dev-network', 'plan:dev-app'] });
    expect(both.status).toBe(1);
    expect(both.stderr.match(/^plan: dev-[a-z]+: terraform plan failed/gm)).toEqual(['plan: dev-network: terraform plan failed', 'plan: dev-app: terraform plan failed']);
    // --parallel 1: stack after stack, nothing runs after the failure
    const sequential = makeProject();
    const one = await run('plan', sequential, ['dev', '--parallel', '1'], { fail: ['init:dev-data'] });
    expect(one.status).toBe(1);
    expect(one.stderr).toContain('plan: dev-data: terraform init failed (exit 1)');
    expect(calls(sequential).map((c) => c.stack)).not.toContain('dev-app');
    const init = await run('plan', makeProject(), ['dev'], { fail: ['init:dev-network'] });
    expect(init.status).toBe(1);
    expect(init.stderr).toContain('dev-network: terraform init failed');
  });

  it('a downstream stack that cannot plan before its upstream\'s new outputs exist is deferred (first deploy)', async () => {
    const project = makeProject();
    const result = await run('plan', project, ['dev'], { plans: { 'dev-network': 'network-create.json' }, fail: ['plan:dev-data', 'plan:dev-app'] });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('dev-data: deferred: it reads outputs that dev-network will change');
    const metadata = JSON.parse(readFileSync(join(project.root, 'plans', 'dev', 'metadata.json'), 'utf8'));
    expect(metadata).toEqual(expect.objectContaining({ stacks: ['dev-network'], deferred: ['dev-data', 'dev-app'] }));
    // terraform wrote errored plans to -out: none is left behind
    expect(plansOf(project.root)).toEqual(['dev-network.json', 'dev-network.terraform.lock.hcl', 'dev-network.tfplan', 'metadata.json']);
    expect(result.stdout.trim().split('\n').at(-1)).toContain('not planned until dev-network is applied: dev-data, dev-app');
    const md = readFileSync(join(project.root, 'reports', 'plan-dev.md'), 'utf8');
    expect(md).toMatch(/^## Terraform plan: dev @ [0-9a-f]{12}/);
    expect(md).toContain('_Not planned yet (plan again after applying their upstream stacks): `dev-data`, `dev-app`._');
    expect(JSON.parse(readFileSync(join(project.root, 'reports', 'plan-dev.json'), 'utf8'))).toEqual(expect.objectContaining({ env: 'dev', deferred: ['dev-data', 'dev-app'] }));
  });

  it('init with -lockfile=readonly when a lock file is committed in locks/ for that stack', async () => {
    const project = makeProject();
    mkdirSync(join(project.root, 'locks'));
    writeFileSync(join(project.root, 'locks', 'dev-data.terraform.lock.hcl'), '# committed lock\n');
    expect((await run('plan', project, ['dev'])).status).toBe(0);
    const inits = Object.fromEntries(calls(project).filter((c) => c.argv[0] === 'init').map((c) => [c.stack, c.argv.join(' ')]));
    expect(inits).toEqual({ 'dev-network': 'init -input=false -reconfigure', 'dev-data': 'init -input=false -reconfigure -lockfile=readonly', 'dev-app': 'init -input=false -reconfigure' });
    expect(readFileSync(join(project.synthDir, 'stacks', 'dev-data', '.terraform.lock.hcl'), 'utf8')).toBe('# committed lock\n');
  });

  it('a plugin cache: TF_PLUGIN_CACHE_DIR as given, else ~/.terraform.d/plugin-cache; TF_CLI_CONFIG_FILE untouched', async () => {
    const project = makeProject();
    await run('plan', project, ['dev', 'network'], {}, { TF_PLUGIN_CACHE_DIR: '/tmp/ci-cache', TF_CLI_CONFIG_FILE: '/tmp/other-tooling.tfrc' });
    expect(calls(project)[0].env).toEqual({ TF_PLUGIN_CACHE_DIR: '/tmp/ci-cache', TF_CLI_CONFIG_FILE: '/tmp/other-tooling.tfrc' });
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    const other = makeProject();
    await run('plan', other, ['dev', 'network'], {}, { TF_PLUGIN_CACHE_DIR: '', HOME: home });
    expect(calls(other)[0].env.TF_PLUGIN_CACHE_DIR).toBe(join(home, '.terraform.d', 'plugin-cache'));
    expect(existsSync(join(home, '.terraform.d', 'plugin-cache'))).toBe(true);
  });

  it('one plan or apply of an environment at a time in a checkout: a running one holds plans/<env>.lock', async () => {
    const project = makeProject();
    mkdirSync(join(project.root, 'plans'));
    writeFileSync(join(project.root, 'plans', 'dev.lock'), `${process.pid}\n`); // a live process
    const busy = await run('plan', project, ['dev']);
    expect(busy.status).toBe(1);
    expect(busy.stderr).toBe(`plan: another plan or apply of dev is running in this checkout (pid ${process.pid}); wait for it to finish\n`);
    expect((await run('apply', project, ['dev'])).stderr).toContain('apply: another plan or apply of dev is running');
    expect(calls(project)).toEqual([]);
    writeFileSync(join(project.root, 'plans', 'dev.lock'), '999999999\n'); // its process is gone
    expect((await run('plan', project, ['dev', 'network'])).status).toBe(0);
    expect(existsSync(join(project.root, 'plans', 'dev.lock'))).toBe(false);
  });

  it('bad input: unknown environment or stack, no environment (exit 2, no terraform run)', async () => {
    const project = makeProject();
    const env = await run('plan', project, ['qa']);
    expect(env.status).toBe(2);
    expect(env.stderr).toBe('plan: unknown environment "qa" (dev, staging, prod)\n');
    const stack = await run('plan', project, ['dev', 'dev-cache']);
    expect(stack.status).toBe(2);
    expect(stack.stderr).toContain('plan: unknown stack "dev-cache" for environment dev (dev-bootstrap, dev-network, dev-data, dev-app)');
    expect((await run('plan', project, [])).status).toBe(2);
    expect((await run('plan', project, ['dev', '--frobnicate'])).status).toBe(2);
    expect(calls(project)).toEqual([]);
  });

  it('terraform not on PATH: exit 1 saying so', async () => {
    const result = await run('plan', makeProject(), ['dev', 'network'], {}, { PATH: '/usr/bin:/bin' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('dev-network: terraform init failed (exit 127):\n    terraform was not found on PATH');
  });

  it('terraform answering show -json with JSON that is not plan JSON: exit 1 naming the stack', async () => {
    const project = makeProject();
    const result = await run('plan', project, ['dev', 'network'], { plans: { 'dev-network': '../bad-plans/not-terraform.json' } });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('dev-network: terraform show -json: not Terraform JSON output');
  });

  it('prints the configuration warnings, example values included, before planning', async () => {
    const result = await run('plan', makeProject(), ['dev', 'network']);
    expect(result.stderr).toMatch(/^warning: dev\.[a-zA-Z.]+: .*example/m);
  });

  it('reads --root and --synth-dir relative to the directory it runs in', async () => {
    const project = makeProject();
    const { io, stdout } = recordingIo({ ...process.env, PATH: `${join(__dirname, 'bin')}:${process.env.PATH}`, FAKE_TF_LOG: project.log, FAKE_TF_FIXTURES: join(__dirname, 'fixtures', 'plans') }, project.root);
    expect(await planCommand(['dev', 'network', '--root', '.', '--synth-dir', 'synth'], io)).toBe(0);
    expect(calls(project).map((c) => c.cwd)).toEqual(Array(3).fill(join(project.synthDir, 'stacks', 'dev-network')));
    expect(stdout()).toContain('[1/1] dev-network: saved plans/dev/dev-network.tfplan');
  });

  it('synthesizes only the environment and runs terraform in cdktf.out/stacks/<stack>', async () => {
    const project = makeProject();
    const outdir = join(mkdtempSync(join(tmpdir(), 'synth-')), 'cdktf.out');
    const result = await run('plan', project, ['dev'], {}, { NO_SYNTH_DIR: '1', CDKTF_OUTDIR: outdir });
    expect(result.status).toBe(0);
    expect(readdirSync(join(outdir, 'stacks')).sort()).toEqual(['dev-app', 'dev-bootstrap', 'dev-data', 'dev-network']);
    expect(calls(project).filter((c) => c.argv[0] === 'plan').map((c) => c.cwd).sort()).toEqual(['dev-app', 'dev-data', 'dev-network'].map((s) => join(outdir, 'stacks', s)));
  });

  it('uncommitted changes to what synth reads: a warning listing them, dirty + the list in the metadata; other files do not count', async () => {
    const project = makeProject();
    writeFileSync(join(project.root, 'README'), 'edited\n'); // not a synthesis input
    const clean = await run('plan', project, ['dev', 'network']);
    expect(clean.stderr).not.toContain('uncommitted');
    expect(JSON.parse(readFileSync(join(project.root, 'plans', 'dev', 'metadata.json'), 'utf8'))).toEqual(expect.objectContaining({ dirty: false, dirtyFiles: [] }));
    mkdirSync(join(project.root, 'src'));
    writeFileSync(join(project.root, 'src', 'new.ts'), 'export {};\n');
    writeFileSync(join(project.root, 'cdktf.json'), '{}\n');
    const dirty = await run('plan', project, ['dev', 'network']);
    expect(dirty.status).toBe(0);
    expect(dirty.stderr).toMatch(/^warning: dev: uncommitted changes that affect synthesis \(\?\? cdktf\.json, \?\? src\/new\.ts\): these plans are made from them, not from commit [0-9a-f]{12}$/m);
    expect(JSON.parse(readFileSync(join(project.root, 'plans', 'dev', 'metadata.json'), 'utf8'))).toEqual(expect.objectContaining({ dirty: true, dirtyFiles: ['?? cdktf.json', '?? src/new.ts'] }));
  });

  it('dirty files as git status --short shows them: modified, staged, renamed, untracked; outside a commit, none', () => {
    const project = makeProject();
    const git = (...args: string[]) => execFileSync('git', args, { cwd: project.root, stdio: 'ignore' });
    mkdirSync(join(project.root, 'src'));
    for (const file of ['a.ts', 'b.ts', 'old name.ts']) writeFileSync(join(project.root, 'src', file), 'export {};\n');
    git('add', 'src');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-qm', 'src');
    writeFileSync(join(project.root, 'src', 'a.ts'), 'export const a = 1;\n');
    writeFileSync(join(project.root, 'src', 'b.ts'), 'export const b = 1;\n');
    git('add', 'src/b.ts');
    git('mv', 'src/old name.ts', 'src/new name.ts');
    writeFileSync(join(project.root, 'src', 'c.ts'), 'export {};\n');
    const state = gitState(project.root);
    expect(state.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(state.commit).toBe(execFileSync('git', ['rev-parse', 'HEAD'], { cwd: project.root, encoding: 'utf8' }).trim());
    expect(state.dirtyFiles).toEqual(['M src/a.ts', 'M src/b.ts', 'R src/old name.ts -> src/new name.ts', '?? src/c.ts']);
    expect(state.dirty).toBe(true);
    const fresh = mkdtempSync(join(tmpdir(), 'no-commit-'));
    execFileSync('git', ['init', '-q'], { cwd: fresh });
    expect(gitState(fresh)).toEqual({ commit: null, dirty: false, dirtyFiles: [] });
    expect(gitState(tmpdir())).toEqual({ commit: null, dirty: false, dirtyFiles: [] });
  });

  it('a checkout git cannot read (here a damaged index; in CI often "dubious ownership"): exit 1 with git\'s line, nothing planned', async () => {
    const project = makeProject();
    writeFileSync(join(project.root, '.git', 'index'), 'garbage\n');
    const result = await run('plan', project, ['dev']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`plan: dev: git cannot read the checkout ${project.root}: fatal: .git/index: index file smaller than expected; nothing was planned`);
    expect(calls(project)).toEqual([]);
    expect(() => gitState(project.root)).toThrow(GitStateError);
  });

  it('SIGINT while terraform plans: forwarded, waited for; no plan set is left (exit 130)', async () => {
    const project = makeProject();
    const signals = new EventEmitter();
    const onLog = (line: string) => line.includes('Still modifying') && signals.emit('SIGINT');
    const result = await run('plan', project, ['dev', '--parallel', '1'], { fail: ['plan:dev-data:wait'] }, {}, { signals, onLog });
    expect(result.status).toBe(130);
    expect(signalsReceived(project)).toEqual(['dev-data plan INT']);
    expect(result.stdout).toContain('    dev-data: Gracefully shutting down...');
    expect(result.stdout.trim().split('\n').at(-1)).toBe('plan dev: interrupted (SIGINT) during dev-data: no plan set saved (planned: dev-network).');
    expect(plansOf(project.root)).toEqual([]);
    expect(calls(project).map((c) => c.stack)).not.toContain('dev-app');
  });

  it('SIGINT while several plans run side by side: each terraform gets it once, all are waited for (exit 130)', async () => {
    const project = makeProject();
    const signals = new EventEmitter();
    let running = 0;
    // both plans print progress, then wait for a signal: the interrupt comes while both run
    const onLog = (line: string) => line.includes('Still modifying') && ++running === 2 && signals.emit('SIGINT');
    const result = await run('plan', project, ['dev'], { fail: ['plan:dev-data:wait', 'plan:dev-app:wait'] }, {}, { signals, onLog });
    expect(result.status).toBe(130);
    expect(signalsReceived(project).sort()).toEqual(['dev-app plan INT', 'dev-data plan INT']);
    expect(result.stderr.match(/SIGINT received/g)).toHaveLength(1);
    const last = result.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^plan dev: interrupted \(SIGINT\) during [a-z, -]+: no plan set saved \(planned: [a-z, -]+\)\.$/);
    expect(last).toContain('dev-data');
    expect(last).toContain('dev-app');
    expect(plansOf(project.root)).toEqual([]);
    // every terraform had exited before plan returned
    const order = events(project);
    expect(order.filter((e) => e.startsWith('start')).length).toBe(order.filter((e) => e.startsWith('end')).length);
  });

  it('plans side by side still defer a downstream stack whose plan failed before its upstream\'s finished', async () => {
    const project = makeProject();
    // dev-network's plan answers only once dev-app's has failed and exited: run one after the other, they never finish
    const result = await run('plan', project, ['dev'], { plans: { 'dev-network': 'network-create.json' }, fail: ['plan:dev-app'], await: ['plan:dev-network:plan:dev-app:end'] });
    expect(result.status).toBe(0);
    const order = events(project);
    expect(order.indexOf('end plan dev-app')).toBeLessThan(order.indexOf('end plan dev-network'));
    expect(result.stdout).toContain('[3/3] dev-app: deferred: it reads outputs that dev-network will change');
    const metadata = JSON.parse(readFileSync(join(project.root, 'plans', 'dev', 'metadata.json'), 'utf8'));
    expect(metadata).toEqual(expect.objectContaining({ stacks: ['dev-network', 'dev-data'], deferred: ['dev-app'] }));
    // progress and the saved lines in dependency order, whatever order terraform finished in
    expect(result.stdout.match(/^\[\d\/3\] dev-[a-z]+: (saved|deferred)/gm)).toEqual(['[1/3] dev-network: saved', '[2/3] dev-data: saved', '[3/3] dev-app: deferred']);
  });

  it('--parallel: a whole number of terraform processes >= 1 (exit 2 otherwise, no terraform run)', async () => {
    const project = makeProject();
    for (const bad of ['0', '-1', '1.5', 'many']) {
      const result = await run('plan', project, ['dev', `--parallel=${bad}`]);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain(`plan: --parallel: expected a whole number of terraform processes >= 1, got "${bad}"`);
    }
    expect(calls(project)).toEqual([]);
    expect((await run('plan', project, ['dev', '--parallel', '2'])).status).toBe(0);
    expect(calls(project).filter((c) => c.argv[0] === 'plan')).toHaveLength(3);
  });

  it('a held state lock: the lock ID, who holds it since when, and the exact force-unlock, printed once', async () => {
    const project = makeProject();
    const result = await run('plan', project, ['dev'], { fail: ['plan:dev-data:lock'] }, { FAKE_TF_LOCK_WHO: 'tester@test-host', FAKE_TF_LOCK_ID: 'aaaa-bbbb' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('plan: dev-data: the state is locked by another run: lock ID aaaa-bbbb, held by tester@test-host (OperationTypeApply, since 2025-05-01 09:30:00.123456 +0000 UTC');
    expect(result.stderr).toContain('It looks like a dead run of this machine');
    expect(result.stderr).toContain('      cd synth/stacks/dev-data && terraform force-unlock aaaa-bbbb\n');
    expect(result.stderr.match(/aaaa-bbbb/g)).toHaveLength(2);
    expect(result.stderr).not.toContain('Lock Info');
  });
});
