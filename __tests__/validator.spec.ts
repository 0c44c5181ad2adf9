import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadProviderSchema, validateStack } from '../src/validate/provider-schema';
import { terraformError, terraformPlatform } from '../src/validate/terraform-validate';
import { validateCommand } from '../src/validate/validate-command';

// A hand-made schema in the format of `terraform providers schema -json`.
const schemaJson = {
  format_version: '1.0',
  provider_schemas: {
    'registry.terraform.io/hashicorp/aws': {
      resource_schemas: {
        aws_lb: {
          version: 0,
          block: {
            attributes: {
              id: { type: 'string', optional: true, computed: true },
              arn: { type: 'string', computed: true },
              name: { type: 'string', required: true },
              internal: { type: 'bool', optional: true },
              idle_timeout: { type: 'number', optional: true },
              subnets: { type: ['set', 'string'], optional: true },
              tags: { type: ['map', 'string'], optional: true },
              rules: { type: ['list', ['object', { port: 'number', cidr: 'string' }]], optional: true },
            },
            block_types: {
              access_logs: { nesting_mode: 'list', max_items: 1, block: { attributes: { bucket: { type: 'string', required: true } } } },
              subnet_mapping: { nesting_mode: 'set', min_items: 1, block: { attributes: { subnet_id: { type: 'string', required: true } } } },
            },
          },
        },
      },
      data_source_schemas: {
        aws_region: { version: 0, block: { attributes: { name: { type: 'string', computed: true } } } },
      },
    },
  },
};
const dir = mkdtempSync(join(tmpdir(), 'schema-'));
writeFileSync(join(dir, 'schema.json'), JSON.stringify(schemaJson));
writeFileSync(join(dir, 'schema.json.gz'), gzipSync(JSON.stringify(schemaJson)));
const awsProvider = schemaJson.provider_schemas['registry.terraform.io/hashicorp/aws'];
writeFileSync(
  join(dir, 'with-provider.json'),
  JSON.stringify({
    provider_schemas: {
      'registry.terraform.io/hashicorp/aws': {
        ...awsProvider,
        provider: {
          version: 0,
          block: {
            attributes: { region: { type: 'string', optional: true } },
            block_types: { default_tags: { nesting_mode: 'list', max_items: 1, block: { attributes: { tags: { type: ['map', 'string'], optional: true } } } } },
          },
        },
      },
    },
  }),
);
const schema = loadProviderSchema(join(dir, 'schema.json'));

const lb = (body: Record<string, unknown>) => ({ resource: { aws_lb: { alb: { name: 'x', subnet_mapping: [{ subnet_id: 's' }], ...body } } } });
const validate = (json: Record<string, unknown>) => validateStack('prod-app', json, schema);

describe('offline validation against a provider schema', () => {
  it('accepts a valid resource, Terraform expressions, meta-arguments and builtin data sources', () => {
    expect(
      validate({
        ...lb({ internal: false, idle_timeout: '${var.timeout}', subnets: ['a', '${aws_subnet.x.id}'], tags: { a: 'b' }, lifecycle: { prevent_destroy: true }, depends_on: ['x'], rules: [{ port: 80 }] }),
        data: { aws_region: { current: {} }, terraform_remote_state: { network: { backend: 's3', config: {} } } },
      }),
    ).toEqual([]);
  });

  it('reads gzip schemas too', () => {
    const gz = loadProviderSchema(join(dir, 'schema.json.gz'));
    expect(Object.keys(gz.resources)).toEqual(['aws_lb']);
  });

  it('unknown resource and data source types', () => {
    expect(validate({ resource: { aws_lbb: { alb: {} } }, data: { aws_regions: { r: {} } } })).toEqual([
      'prod-app: aws_lbb: unknown resource type',
      'prod-app: data.aws_regions: unknown data source type',
    ]);
  });

  it('unknown attributes, also inside blocks and object values', () => {
    expect(validate(lb({ drop_invalid_headers: true, access_logs: [{ bucket: 'b', prefixx: 'p' }], rules: [{ port: 1, cidr: 'c', protocol: 'tcp' }] }))).toEqual([
      'prod-app: aws_lb.alb.drop_invalid_headers: unknown attribute',
      'prod-app: aws_lb.alb.access_logs.prefixx: unknown attribute',
      'prod-app: aws_lb.alb.rules[0].protocol: unknown attribute',
    ]);
  });

  it('missing required attributes and blocks', () => {
    expect(validate({ resource: { aws_lb: { alb: { access_logs: [{}] } } } })).toEqual([
      'prod-app: aws_lb.alb.access_logs.bucket: missing required attribute',
      'prod-app: aws_lb.alb.name: missing required attribute',
      'prod-app: aws_lb.alb.subnet_mapping: missing required block (at least 1)',
    ]);
  });

  it('read-only (computed-only) attributes that are set', () => {
    expect(validate(lb({ arn: 'arn:aws:...' }))).toEqual(['prod-app: aws_lb.alb.arn: read-only attribute is set']);
  });

  it('too many blocks', () => {
    expect(validate(lb({ access_logs: [{ bucket: 'a' }, { bucket: 'b' }] }))).toEqual([
      'prod-app: aws_lb.alb.access_logs: 2 blocks given; at most 1 allowed',
    ]);
  });

  it('primitive and collection types', () => {
    expect(validate(lb({ internal: 'maybe', idle_timeout: 'sixty', subnets: 'subnet-1', tags: ['a'] }))).toEqual([
      'prod-app: aws_lb.alb.internal: expected bool, got string "maybe"',
      'prod-app: aws_lb.alb.idle_timeout: expected number, got string "sixty"',
      'prod-app: aws_lb.alb.subnets: expected set, got string "subnet-1"',
      'prod-app: aws_lb.alb.tags: expected map, got a list',
    ]);
  });

  it('dynamic blocks are checked against the block they generate', () => {
    expect(validate(lb({ dynamic: { access_logs: { for_each: '${x}', content: { bucket: 'b', nope: 1 } }, bogus: { for_each: '${x}', content: {} } } }))).toEqual([
      'prod-app: aws_lb.alb.dynamic.access_logs.nope: unknown attribute',
      'prod-app: aws_lb.alb.dynamic.bogus: unknown block',
    ]);
  });

  it('provider blocks, where the schema has their configuration block', () => {
    const withProvider = loadProviderSchema(join(dir, 'with-provider.json'));
    const providers = (...configs: unknown[]) => validateStack('prod-app', { provider: { aws: configs } }, withProvider);
    expect(providers({ region: 'ap-northeast-1', alias: 'east', default_tags: [{ tags: { a: 'b' } }] })).toEqual([]);
    expect(providers({ region: 'x', regoin: 'y' }, { region: ['x'] })).toEqual([
      'prod-app: provider.aws[0].regoin: unknown attribute',
      'prod-app: provider.aws[1].region: expected string, got a list',
    ]);
    // A published snapshot without provider blocks: nothing to check them against.
    expect(validate({ provider: { aws: [{ regoin: 'y' }] } })).toEqual([]);
  });

  it('refuses a file that is not a provider schema', () => {
    writeFileSync(join(dir, 'other.json'), '{"resource": {}}');
    expect(() => loadProviderSchema(join(dir, 'other.json'))).toThrow('not a provider schema');
  });
});

describe('npm run validate', () => {
  const root = join(__dirname, '..');
  const work = mkdtempSync(join(tmpdir(), 'validate-cli-'));
  // A synthesized output with two small stacks, valid against the committed schema.
  const stackJson = (mark: string) => ({
    terraform: { required_providers: { aws: { source: 'aws', version: '6.25.0' } }, backend: { s3: { bucket: 'state', key: 'k', region: 'ap-northeast-1' } } },
    provider: { aws: [{ region: 'ap-northeast-1' }] },
    resource: { aws_vpc: { main: { cidr_block: '10.0.0.0/16', tags: { mark } } } },
    data: { aws_caller_identity: { current: {} }, terraform_remote_state: { network: { backend: 's3', config: {} } } },
  });
  const writeOut = (name: string, stacks: Record<string, unknown>) => {
    const outdir = join(work, name);
    const manifest: Record<string, unknown> = {};
    for (const [stack, json] of Object.entries(stacks)) {
      mkdirSync(join(outdir, 'stacks', stack), { recursive: true });
      writeFileSync(join(outdir, 'stacks', stack, 'cdk.tf.json'), JSON.stringify(json));
      manifest[stack] = { name: stack, dependencies: [], synthesizedStackPath: `stacks/${stack}/cdk.tf.json` };
    }
    writeFileSync(join(outdir, 'manifest.json'), JSON.stringify({ stacks: manifest }));
    return outdir;
  };
  const good = writeOut('good', { 'dev-network': stackJson('ok'), 'dev-data': stackJson('ok') });
  const rejected = writeOut('rejected', { 'dev-network': stackJson('ok'), 'dev-data': stackJson('terraform-rejects') });

  // A stand-in terraform: records `<command> | <stack dir>`, fails init on request, and rejects a stack
  // marked `terraform-rejects` the way `terraform validate -json` does.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'terraform'),
    `#!/bin/sh
echo "$1 | $(basename "$PWD")" >> "$FAKE_TF_LOG"
case "$1" in
  init)
    if [ -n "$FAKE_TF_INIT_FAIL" ]; then
      echo 'Initializing provider plugins...'
      printf '\\nError: Failed to query available provider packages\\n\\nCould not retrieve the list of available versions for provider\\nhashicorp/aws: could not connect to registry.terraform.io\\n\\nTo see which modules depend on it, run terraform providers\\n' >&2
      exit 1
    fi
    mkdir -p .terraform && touch .terraform.lock.hcl ;;
  validate)
    if grep -q terraform-rejects cdk.tf.json; then
      echo '{"valid":false,"error_count":1,"diagnostics":[{"severity":"error","summary":"Unsupported argument","detail":"An argument named \\\\"x\\\\" is not\\\\n  expected here.","address":"aws_vpc.main","range":{"filename":"cdk.tf.json","start":{"line":12}}}]}'
      exit 1
    fi
    echo '{"valid":true,"error_count":0,"warning_count":0,"diagnostics":[]}' ;;
esac
`,
  );
  chmodSync(join(bin, 'terraform'), 0o755);
  const noTerraform = join(work, 'empty-bin');
  mkdirSync(noTerraform);
  const cache = join(work, 'plugin-cache');
  mkdirSync(join(cache, 'registry.terraform.io', 'hashicorp', 'aws', '6.25.0', terraformPlatform()), { recursive: true });
  const log = join(work, 'tf.log');

  const testEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
    ...process.env,
    HOME: work,
    TF_CLI_CONFIG_FILE: join(work, 'none.tfrc'),
    TF_PLUGIN_CACHE_DIR: '',
    TF_PROVIDER_SCHEMA: '',
    PATH: `${bin}:/usr/bin:/bin`,
    FAKE_TF_LOG: log,
    ...env,
  });
  const recordedCalls = () => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n').sort();
    } catch {
      return [];
    }
  };
  // In-process (the command's own function); one test below runs the npm script's file as a process.
  const validate = async (args: string[], env: NodeJS.ProcessEnv = {}) => {
    rmSync(log, { force: true });
    const stdout: string[] = [];
    const stderr: string[] = [];
    const status = await validateCommand(args, { env: testEnv(env), cwd: root, log: (line) => stdout.push(line), error: (line) => stderr.push(line) });
    const text = (lines: string[]) => lines.map((line) => `${line}\n`).join('');
    return { status, stdout: text(stdout), stderr: text(stderr), verdict: stdout[stdout.length - 1], calls: recordedCalls() };
  };

  it('as `npm run validate` runs it: a process with the exit code and output of the command', () => {
    const result = spawnSync(process.execPath, ['-r', './scripts/ts-register.cjs', 'scripts/validate.ts', '--dir', rejected, '--terraform'], {
      cwd: root,
      env: testEnv({}),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('dev-data: terraform validate: error: Unsupported argument [aws_vpc.main cdk.tf.json:12]: An argument named "x" is not expected here.\n');
    expect(result.stdout.trim().split('\n').pop()).toBe('validate: 1 problem(s) in 2 stacks: schema check against the committed trimmed schema of provider 6.25.0; terraform validate of 2 stacks');
    expect(result.status).toBe(1);
  });

  it('without terraform: the schema check against the committed schema, and says terraform validate did not run', async () => {
    const result = await validate(['--dir', good], { PATH: noTerraform });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('validate: schema check of 2 stacks against the committed trimmed schema of provider 6.25.0 (schema/aws-provider-6.25.0.trimmed.json)');
    expect(result.verdict).toBe('validate: 2 stacks valid: schema check against the committed trimmed schema of provider 6.25.0; terraform validate not run: terraform is not on PATH');
    expect(result.status).toBe(0);
  });

  it('with terraform but no local provider: does not call it, and says why', async () => {
    const result = await validate(['--dir', good]);
    expect(result.calls).toEqual([]);
    expect(result.verdict).toMatch(/; terraform validate not run: hashicorp\/aws 6\.25\.0 \(\w+\) is in no local plugin cache or mirror .*--terraform lets terraform init download it$/);
    expect(result.status).toBe(0);
  });

  it('with terraform and the provider in the plugin cache: terraform validate on every stack, one shared init', async () => {
    const result = await validate(['--dir', good], { TF_PLUGIN_CACHE_DIR: cache });
    expect(result.calls).toEqual(['init | dev-network', 'validate | dev-data', 'validate | dev-network']);
    expect(result.stdout).toContain(`validate: terraform validate of 2 stacks (hashicorp/aws 6.25.0 from ${cache} (TF_PLUGIN_CACHE_DIR))`);
    expect(result.stdout).toContain('  dev-data: valid');
    expect(result.verdict).toBe('validate: 2 stacks valid: schema check against the committed trimmed schema of provider 6.25.0; terraform validate of 2 stacks');
    expect(result.status).toBe(0);
  });

  it('terraform validate errors: one line each, exit 1', async () => {
    const result = await validate(['--dir', rejected], { TF_PLUGIN_CACHE_DIR: cache });
    expect(result.stderr).toBe('dev-data: terraform validate: error: Unsupported argument [aws_vpc.main cdk.tf.json:12]: An argument named "x" is not expected here.\n');
    expect(result.stdout).toContain('  dev-data: 1 error(s)');
    expect(result.verdict).toBe('validate: 1 problem(s) in 2 stacks: schema check against the committed trimmed schema of provider 6.25.0; terraform validate of 2 stacks');
    expect(result.status).toBe(1);
  });

  it('--terraform runs it without a local provider; a failed init then fails, and is only reported when not asked for', async () => {
    const forced = await validate(['--dir', good, '--terraform'], { FAKE_TF_INIT_FAIL: '1' });
    expect(forced.calls).toEqual(['init | dev-network']);
    expect(forced.stderr).toContain(
      'validate: terraform init -backend=false failed in dev-network: Error: Failed to query available provider packages Could not retrieve the list of available versions for provider hashicorp/aws: could not connect to registry.terraform.io\n',
    );
    expect(forced.verdict).toBe('validate: 1 problem(s) in 2 stacks: schema check against the committed trimmed schema of provider 6.25.0; terraform validate failed to start');
    expect(forced.status).toBe(1);

    const found = await validate(['--dir', good], { FAKE_TF_INIT_FAIL: '1', TF_PLUGIN_CACHE_DIR: cache });
    expect(found.verdict).toMatch(/^validate: 2 stacks valid: schema check against the committed trimmed schema of provider 6\.25\.0; terraform validate not run: terraform init -backend=false failed in dev-network: Error: Failed to query/);
    expect(found.status).toBe(0);
  });

  it('--schema-only skips terraform; --terraform without terraform and conflicting flags fail', async () => {
    const schemaOnly = await validate(['--dir', good, '--schema-only'], { TF_PLUGIN_CACHE_DIR: cache });
    expect(schemaOnly.calls).toEqual([]);
    expect(schemaOnly.verdict).toBe('validate: 2 stacks valid: schema check against the committed trimmed schema of provider 6.25.0; terraform validate not run: --schema-only');
    expect(await validate(['--dir', good, '--terraform'], { PATH: noTerraform })).toEqual(expect.objectContaining({ status: 1, stderr: 'validate: --terraform: terraform is not on PATH\n' }));
    expect(await validate(['--dir', good, '--terraform', '--schema-only'])).toEqual(expect.objectContaining({ status: 2, stderr: expect.stringContaining('exclude each other') }));
  });

  it('schema problems: one line each, and a type missing from the committed schema points to schema:refresh', async () => {
    const bad = writeOut('bad', { 'dev-network': { resource: { aws_vpc: { main: { cidr_blok: '10.0.0.0/16' } }, aws_vpcc: { x: {} } } } });
    const result = await validate(['--dir', bad], { PATH: noTerraform });
    expect(result.stderr.split('\n')).toEqual([
      'dev-network: aws_vpc.main.cidr_blok: unknown attribute',
      'dev-network: aws_vpcc: unknown resource type',
      'validate: a type this project synthesizes is missing from the committed schema: `npm run schema:refresh` adds it (README "Offline validation")',
      '',
    ]);
    expect(result.verdict).toBe('validate: 2 problem(s) in 1 stacks: schema check against the committed trimmed schema of provider 6.25.0; terraform validate not run: terraform is not on PATH');
    expect(result.status).toBe(1);
  });

  it('TF_PROVIDER_SCHEMA overrides the committed schema; a missing or broken one fails without a stack trace', async () => {
    const result = await validate(['--dir', good], { PATH: noTerraform, TF_PROVIDER_SCHEMA: join(dir, 'schema.json.gz') });
    expect(result.stderr).toContain('dev-network: aws_vpc: unknown resource type');
    expect(result.stderr).not.toContain('schema:refresh');
    expect(result.verdict).toContain(`schema check against ${join(dir, 'schema.json.gz')} (TF_PROVIDER_SCHEMA)`);
    expect(result.status).toBe(1);
    writeFileSync(join(dir, 'broken.json'), '{"provider_schemas": ');
    expect(await validate(['--dir', good], { TF_PROVIDER_SCHEMA: join(dir, 'broken.json') })).toEqual(
      expect.objectContaining({ status: 1, stderr: expect.stringContaining(`validate: ${join(dir, 'broken.json')}: not JSON`) }),
    );
    expect(await validate(['--dir', good], { TF_PROVIDER_SCHEMA: join(dir, 'nope.json') })).toEqual(
      expect.objectContaining({ status: 1, stderr: `validate: TF_PROVIDER_SCHEMA=${join(dir, 'nope.json')} does not exist\n` }),
    );
  });
});

describe("terraform's error text on one line", () => {
  it('the Error paragraph without the box frame, else the last lines', () => {
    expect(terraformError('Initializing...\n╷\n│ Error: Failed to install\n│ \n│ could not connect\n│ to the registry\n│ \n│ More help\n╵\n')).toBe('Error: Failed to install could not connect to the registry');
    expect(terraformError('a\nb\nc\nd\n')).toBe('b c d');
  });
});
