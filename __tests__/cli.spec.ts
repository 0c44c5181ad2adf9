// The commands as a user runs them: exit codes and messages, not internals.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { environments } from '../src/config/environments';
import { validateCommand } from '../src/validate/validate-command';
import { recordingIo } from './fixtures/recording-io';
import { calls, makeProject, run as runCommand } from './fixtures/terraform-harness';
import { sharedSynthDir, type StackName } from './helpers';

const STACKS: StackName[] = ['bootstrap', 'network', 'data', 'app'];

function filesUnder(dir: string): string[] {
  const walk = (d: string): string[] => readdirSync(d).flatMap((name) => (statSync(join(d, name)).isDirectory() ? walk(join(d, name)) : [join(d, name)]));
  return walk(dir).map((f) => relative(dir, f)).sort();
}

const root = join(__dirname, '..');
interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}
/**
 * Starts `node <script>` as npm would. The processes of a describe block are started together in its
 * beforeAll and awaited by its tests: they run side by side instead of one after the other.
 */
function run(script: string, env: Record<string, string>, args: string[] = [], nodeArgs: string[] = []): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '-r', './scripts/ts-register.cjs', script, ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('synth (main.ts)', () => {
  const commit = '3f9c2ab';
  const outdir = mkdtempSync(join(tmpdir(), 'out-'));
  const badOutdir = mkdtempSync(join(tmpdir(), 'out-'));
  const prodOutdir = mkdtempSync(join(tmpdir(), 'out-'));
  let withCommitVariables: Promise<Ran>;
  let badInput: Promise<Ran>;
  let prodAlone: Promise<Ran>;
  beforeAll(() => {
    // as `npm run plan -- prod` and `npm run deploy` synthesize: one environment, the example values listed
    prodAlone = run('main.ts', { CDKTF_OUTDIR: prodOutdir, CONFIG_WARN_EXAMPLES: '1', ENVIRONMENTS: 'prod' });
    withCommitVariables = run('main.ts', { CDKTF_OUTDIR: outdir, CONFIG_WARN_EXAMPLES: '', IMAGE_TAG: commit, GITHUB_SHA: commit.padEnd(40, '0'), CIRCLE_SHA1: commit.padEnd(40, '1') });
    mkdirSync(join(badOutdir, 'stacks'));
    writeFileSync(join(badOutdir, 'manifest.json'), '{"stacks":{}}'); // a previous synth's output
    badInput = run('main.ts', { CDKTF_OUTDIR: badOutdir, ENVIRONMENTS: 'prod,qa' }, [], ['-r', './__tests__/fixtures/loaded-packages.cjs']);
  });

  it('writes every environment\'s stacks quietly, and IMAGE_TAG, GITHUB_SHA and CIRCLE_SHA1 change none of them', async () => {
    const result = await withCommitVariables;
    expect(result.status).toBe(0);
    // The shipped configuration switches no safeguard off, and example values are listed only on request.
    expect(result.stderr).toBe('');
    const files = filesUnder(outdir);
    expect(files).toEqual(expect.arrayContaining(['manifest.json', ...Object.keys(environments).flatMap((env) => STACKS.map((stack) => `stacks/${env}-${stack}/cdk.tf.json`))]));
    // Byte for byte what the same environments synthesize without those variables.
    const plain = sharedSynthDir();
    expect(filesUnder(plain)).toEqual(files);
    for (const file of files) expect([file, readFileSync(join(outdir, file), 'utf8')]).toEqual([file, readFileSync(join(plain, file), 'utf8')]);
  });

  it('an environment synthesized alone (ENVIRONMENTS, as npm run plan does) is byte for byte what a full synth writes for it', async () => {
    const result = await prodAlone;
    expect(result.status).toBe(0);
    // CONFIG_WARN_EXAMPLES=1 (plan, deploy) lists the example values on stderr and changes no stack
    expect(result.stderr).toContain('warning: prod.alarms.emails.0: "oncall@example.com" is an example e-mail address');
    expect(result.stderr).toContain('warning: prod.allowedAccountIds.0: "123456789012" is an example AWS account id');
    const files = filesUnder(prodOutdir).filter((file) => file.startsWith('stacks/'));
    expect(files).toEqual(STACKS.map((stack) => `stacks/prod-${stack}/cdk.tf.json`).sort());
    // The promotion chain (prod's release role reads staging's image tags) comes from every environment.
    for (const file of files) expect([file, readFileSync(join(prodOutdir, file), 'utf8')]).toEqual([file, readFileSync(join(sharedSynthDir(), file), 'utf8')]);
  });

  it('bad input: exit 1, one line per problem, no stack trace, and no deployable output left behind', async () => {
    const result = await badInput;
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('ENVIRONMENTS: "qa" is not a defined environment (dev, staging, prod)');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(badOutdir)).toBe(false);
    // said before cdktf and the provider classes load (a third of a synth's start-up)
    expect(result.stderr).toMatch(/^loaded packages: (?!.*cdktf).*$/m);
  });
});

// The commands' own tests run them in-process; these start each script once, as npm does.
describe('scripts/ are thin CLIs: argv in, the command\'s exit code and lines out', () => {
  const cases: Array<[string, string[], string]> = [
    ['plan', ['qa'], 'plan: unknown environment "qa" (dev, staging, prod)\n'],
    ['apply', ['--frobnicate'], "apply: Unknown option '--frobnicate'"],
    ['lock', ['qa'], 'lock: unknown environment "qa" (dev, staging, prod)\n'],
    ['review', ['--bogus'], "review: Unknown option '--bogus'"],
  ];
  const started = new Map<string, Promise<Ran>>();
  beforeAll(() => {
    for (const [script, args] of cases) started.set(script, run(`scripts/${script}.ts`, {}, args));
  });

  it.each(cases)('scripts/%s.ts', async (script, _args, message) => {
    const result = await started.get(script)!;
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown environment takes no plan-set lock (nothing is written in plans/)', async () => {
    const project = makeProject();
    expect((await runCommand('plan', project, ['qa'])).status).toBe(2);
    expect((await runCommand('apply', project, ['qa'])).status).toBe(2);
    expect(existsSync(join(project.root, 'plans'))).toBe(false);
  });
});

describe('npm run validate', () => {
  const validate = async (args: string[], env: NodeJS.ProcessEnv) => {
    const recorder = recordingIo({ ...process.env, ...env }, root);
    const status = await validateCommand(args, recorder.io);
    return { status, stdout: recorder.stdout(), stderr: recorder.stderr() };
  };

  it('checks every stack of every environment against the committed trimmed schema', async () => {
    const result = await validate(['--dir', sharedSynthDir(), '--schema-only'], { TF_PROVIDER_SCHEMA: '' });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim().split('\n').at(-1)).toBe(
      `validate: ${Object.keys(environments).length * STACKS.length} stacks valid: schema check against the committed trimmed schema of provider 6.25.0; terraform validate not run: --schema-only`,
    );
    expect(result.status).toBe(0);
  });

  it('never skips: a TF_PROVIDER_SCHEMA that does not exist is an error naming it, in CI or not', async () => {
    for (const CI of ['', 'true']) {
      const result = await validate(['--dir', sharedSynthDir()], { TF_PROVIDER_SCHEMA: '/nonexistent/schema.json', CI });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('TF_PROVIDER_SCHEMA=/nonexistent/schema.json does not exist');
    }
  });

  it('without --dir, synthesizes first (only ENVIRONMENTS), and a failed synth is exit 1 with the app\'s message', async () => {
    const result = await validate(['--schema-only'], { ENVIRONMENTS: 'dev', TF_PROVIDER_SCHEMA: '' });
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^validate: 4 stacks valid: schema check against the committed trimmed schema/);
    expect(result.status).toBe(0);
    const failed = await validate(['--schema-only'], { ENVIRONMENTS: 'qa', TF_PROVIDER_SCHEMA: '' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('ENVIRONMENTS: "qa" is not a defined environment (dev, staging, prod)');
  });

  it('reports problems in synthesized output with exit 1', async () => {
    const schema = join(mkdtempSync(join(tmpdir(), 'schema-')), 'schema.json');
    // A schema that knows no resource: every synthesized resource is unknown.
    writeFileSync(schema, JSON.stringify({ format_version: '1.0', provider_schemas: { aws: { resource_schemas: {} } } }));
    const result = await validate(['--dir', sharedSynthDir()], { TF_PROVIDER_SCHEMA: schema });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('dev-network: aws_vpc: unknown resource type');
  });
});

describe('npm run review', () => {
  it('compares the working tree with a base and writes Markdown and JSON reports', async () => {
    const out = mkdtempSync(join(tmpdir(), 'review-'));
    // --allow-destroy: the outcome must not depend on what is uncommitted in the working tree.
    const result = await runCommand('review', undefined, ['--base', 'HEAD', '--out', out, '--allow-destroy'], {}, { ENVIRONMENTS: 'dev' });
    expect(result.stdout).toContain('Compared with');
    expect(result.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['review.json', 'review.md']);
  });

  it('an unknown base: exit 2 with a one-line message (no exception escapes)', async () => {
    const result = await runCommand('review', undefined, ['--base', 'no-such-ref-anywhere']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('review: --base no-such-ref-anywhere: not a commit of this repository\n');
  });
});

describe('npm run lock', () => {
  it('writes locks/<stack>.terraform.lock.hcl for every stack, bootstrap included, for linux_amd64 and darwin_arm64', async () => {
    const project = makeProject();
    const result = await runCommand('lock', project, ['dev']);
    expect(result.status).toBe(0);
    expect(calls(project).map((c) => `${c.stack}: ${c.argv.join(' ')}`)).toEqual(
      ['dev-bootstrap', 'dev-network', 'dev-data', 'dev-app'].map((s) => `${s}: providers lock -platform=linux_amd64 -platform=darwin_arm64`),
    );
    expect(readdirSync(join(project.root, 'locks')).sort()).toEqual(['dev-app', 'dev-bootstrap', 'dev-data', 'dev-network'].map((s) => `${s}.terraform.lock.hcl`));
    expect(readFileSync(join(project.root, 'locks', 'dev-app.terraform.lock.hcl'), 'utf8')).toContain('linux_amd64 darwin_arm64');
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/^lock: wrote 4 lock file\(s\)/);
  });

  it('without registry access: exit 1 naming the stack; unknown environment: exit 2', async () => {
    const failed = await runCommand('lock', makeProject(), ['dev'], { fail: ['lock:dev-network'] });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('lock: dev-network: terraform providers lock failed (exit 1; it needs the Terraform registry)');
    const env = await runCommand('lock', makeProject(), ['qa']);
    expect(env.status).toBe(2);
    expect(env.stderr).toBe('lock: unknown environment "qa" (dev, staging, prod)\n');
    // Options of plan and apply are not lock's.
    const option = await runCommand('lock', makeProject(), ['dev', '--plans-dir', 'x']);
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("lock: Unknown option '--plans-dir'");
  });
});
