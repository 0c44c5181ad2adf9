// The committed trimmed provider schema (schema/) covers everything this project can synthesize, and
// `npm run schema:refresh` regenerates it.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Testing, TerraformStack } from 'cdktf';
import { buildEnvironment } from '../src/app';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import { providerSchemaFrom, readProviderSchemaJson, validateStack, type ProviderSchemaJson } from '../src/validate/provider-schema';
import { EXTRA_TYPES, importedTypes, pinnedProviderVersion, SOURCE_DIR, synthesizedTypes, typeOfLib } from '../src/validate/synthesizable-types';
import { providerAvailability } from '../src/validate/terraform-validate';
import { schemaRefreshCommand } from '../src/validate/schema-refresh-command';
import { committedSchemaPath, formatSchemaJson, trimProviderSchema } from '../src/validate/trimmed-schema';

const root = join(__dirname, '..');
const version = pinnedProviderVersion();
const committedPath = committedSchemaPath(version);
const committedJson = readProviderSchemaJson(committedPath);
const committed = providerSchemaFrom(committedJson);

/** Every stack of every environment, synthesized once for this file. */
const synthesized = (() => {
  const app = Testing.app();
  for (const config of loadConfig(project, environments)) buildEnvironment(app, config);
  return app.node
    .findAll()
    .filter((construct): construct is TerraformStack => TerraformStack.isStack(construct))
    .map((stack) => ({ name: stack.node.id, json: JSON.parse(Testing.synth(stack)) as Record<string, unknown> }));
})();

describe('the committed trimmed provider schema', () => {
  it('exists for the provider release the bindings pin, which every stack requires', () => {
    expect(version).toBe('6.25.0');
    expect(committedPath).toBe(join(root, 'schema', 'aws-provider-6.25.0.trimmed.json'));
    const required = synthesized.map((stack) => [stack.name, (stack.json.terraform as any)?.required_providers?.aws?.version]);
    expect(required.length).toBeGreaterThanOrEqual(12);
    expect(required).toEqual(synthesized.map((stack) => [stack.name, version]));
  });

  it('holds every resource and data source type synthesized in any environment', () => {
    const types = synthesizedTypes(synthesized);
    expect(types.resources.length).toBeGreaterThan(20);
    expect(types.resources.filter((type) => !committed.resources[type])).toEqual([]);
    expect(types.dataSources.filter((type) => !committed.dataSources[type])).toEqual([]);
  });

  it('accepts every synthesized stack (what `npm run validate` checks)', () => {
    expect(synthesized.flatMap((stack) => validateStack(stack.name, stack.json, committed))).toEqual([]);
  });

  it('maps every @cdktf/provider-aws/lib/<x> import under src/ to a type it holds', () => {
    const imported = importedTypes(SOURCE_DIR);
    expect(imported.length).toBeGreaterThan(20);
    const unmapped = imported.filter(({ kind, type }) =>
      kind === 'resource' ? !committed.resources[type] : kind === 'data' ? !committed.dataSources[type] : !Object.keys(committedJson.provider_schemas ?? {}).some((address) => address.endsWith(`/${type}`)),
    );
    expect(unmapped).toEqual([]);
  });

  it('holds the types being added (EXTRA_TYPES)', () => {
    expect(EXTRA_TYPES.resources.filter((type) => !committed.resources[type])).toEqual([]);
    expect(EXTRA_TYPES.dataSources.filter((type) => !committed.dataSources[type])).toEqual([]);
  });

  it('carries no descriptions (the validator does not read them)', () => {
    expect(readFileSync(committedPath, 'utf8')).not.toMatch(/"description_kind"/);
    expect(committed.resources.aws_security_group.attributes?.description).toEqual(expect.objectContaining({ type: 'string' }));
  });
});

describe('binding imports map to Terraform types', () => {
  it('by the class’s own tfResourceType', () => {
    expect(typeOfLib('vpc-security-group-ingress-rule')).toEqual({ lib: 'vpc-security-group-ingress-rule', kind: 'resource', type: 'aws_vpc_security_group_ingress_rule' });
    expect(typeOfLib('data-aws-caller-identity')).toEqual({ lib: 'data-aws-caller-identity', kind: 'data', type: 'aws_caller_identity' });
    expect(typeOfLib('provider')).toEqual({ lib: 'provider', kind: 'provider', type: 'aws' });
  });

  it('finds each import once, in nested directories, in any import form', () => {
    const dir = mkdtempSync(join(tmpdir(), 'imports-'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
    writeFileSync(join(dir, 'one.ts'), "import { Vpc } from '@cdktf/provider-aws/lib/vpc';\nimport { Subnet } from \"@cdktf/provider-aws/lib/subnet\";\n");
    writeFileSync(join(dir, 'a', 'b', 'two.ts'), "export { Vpc } from '@cdktf/provider-aws/lib/vpc';\nimport type { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';\n");
    writeFileSync(join(dir, 'a', 'notes.md'), '@cdktf/provider-aws/lib/sqs-queue');
    expect(importedTypes(dir).map(({ kind, type }) => `${kind}:${type}`)).toEqual(['data:aws_region', 'resource:aws_subnet', 'resource:aws_vpc']);
  });
});

// A full schema in the `terraform providers schema -json` format, with what trimming must keep and drop.
const fullSchema: ProviderSchemaJson = {
  format_version: '1.0',
  provider_schemas: {
    'registry.terraform.io/hashicorp/aws': {
      provider: { version: 0, block: { attributes: { region: { type: 'string', optional: true, description: 'AWS region', description_kind: 'plain' } }, description_kind: 'plain' } },
      resource_schemas: {
        aws_security_group: {
          version: 1,
          block: {
            attributes: {
              // An attribute called "description" is data, not documentation.
              description: { type: 'string', optional: true, description: 'Security group description.', description_kind: 'plain' },
              ingress: { type: ['set', ['object', { description: 'string', from_port: 'number' }]], optional: true, description_kind: 'plain' },
              settings: { nested_type: { nesting_mode: 'single', attributes: { mode: { type: 'string', required: true, description: 'x', description_kind: 'plain' } } }, optional: true, description_kind: 'plain' },
            },
            block_types: { timeouts: { nesting_mode: 'single', block: { attributes: { create: { type: 'string', optional: true, description_kind: 'plain' } }, description_kind: 'plain' } } },
            description: 'A security group.',
            description_kind: 'markdown',
          },
        },
        aws_unwanted: { version: 0, block: { attributes: { id: { type: 'string', computed: true } } } },
      },
      data_source_schemas: { aws_region: { version: 0, block: { attributes: { name: { type: 'string', computed: true, description_kind: 'plain' } } } } },
      ephemeral_resource_schemas: { aws_secretsmanager_secret_version: { version: 0, block: {} } },
    },
    'terraform.io/builtin/terraform': {
      provider: { version: 0, block: { description_kind: 'plain' } },
      data_source_schemas: { terraform_remote_state: { version: 0, block: { attributes: { backend: { type: 'string', required: true } } } } },
    },
  },
};

describe('trimming a full provider schema', () => {
  const { json, missing } = trimProviderSchema(fullSchema, { resources: ['aws_security_group', 'aws_nope'], dataSources: ['aws_region'] });
  const aws = json.provider_schemas?.['registry.terraform.io/hashicorp/aws'] as any;

  it('keeps the wanted types and the provider block, drops the rest', () => {
    expect(Object.keys(json.provider_schemas ?? {})).toEqual(['registry.terraform.io/hashicorp/aws']);
    expect(Object.keys(aws)).toEqual(['provider', 'resource_schemas', 'data_source_schemas']);
    expect(Object.keys(aws.resource_schemas)).toEqual(['aws_security_group']);
    expect(Object.keys(aws.data_source_schemas)).toEqual(['aws_region']);
    expect(aws.provider).toEqual({ version: 0, block: { attributes: { region: { optional: true, type: 'string' } } } });
  });

  it('strips descriptions but keeps attributes and object fields named description', () => {
    expect(aws.resource_schemas.aws_security_group).toEqual({
      version: 1,
      block: {
        attributes: {
          description: { optional: true, type: 'string' },
          ingress: { optional: true, type: ['set', ['object', { description: 'string', from_port: 'number' }]] },
          settings: { nested_type: { attributes: { mode: { required: true, type: 'string' } }, nesting_mode: 'single' }, optional: true },
        },
        block_types: { timeouts: { block: { attributes: { create: { optional: true, type: 'string' } } }, nesting_mode: 'single' } },
      },
    });
  });

  it('reports the wanted types the full schema lacks', () => {
    expect(missing).toEqual({ resources: ['aws_nope'], dataSources: [] });
  });

  it('formats as JSON that reads back the same, one attribute per line', () => {
    const text = formatSchemaJson(json);
    expect(JSON.parse(text)).toEqual(json);
    expect(text.split('\n').map((line) => line.trim())).toContain('"ingress": {"optional":true,"type":["set",["object",{"description":"string","from_port":"number"}]]},');
  });
});

describe('finding the provider for terraform validate without the registry', () => {
  const platform = 'linux_amd64';
  const fresh = () => {
    const home = mkdtempSync(join(tmpdir(), 'home-'));
    return { home, env: { HOME: home, TF_CLI_CONFIG_FILE: join(home, 'none.tfrc') } as NodeJS.ProcessEnv };
  };

  it('in TF_PLUGIN_CACHE_DIR (unpacked)', () => {
    const { home, env } = fresh();
    mkdirSync(join(home, 'cache', 'registry.terraform.io', 'hashicorp', 'aws', '6.25.0', platform), { recursive: true });
    expect(providerAvailability('6.25.0', { ...env, TF_PLUGIN_CACHE_DIR: join(home, 'cache') }, platform)).toEqual({ found: true, where: `${join(home, 'cache')} (TF_PLUGIN_CACHE_DIR)` });
    expect(providerAvailability('6.26.0', { ...env, TF_PLUGIN_CACHE_DIR: join(home, 'cache') }, platform).found).toBe(false);
  });

  it('in a filesystem_mirror of the CLI configuration (packed), and a $HOME plugin_cache_dir', () => {
    const { home, env } = fresh();
    mkdirSync(join(home, 'mirror', 'registry.terraform.io', 'hashicorp', 'aws'), { recursive: true });
    writeFileSync(join(home, 'mirror', 'registry.terraform.io', 'hashicorp', 'aws', `terraform-provider-aws_6.25.0_${platform}.zip`), '');
    writeFileSync(env.TF_CLI_CONFIG_FILE as string, `provider_installation {\n  filesystem_mirror {\n    path = "${home}/mirror"\n  }\n}\n`);
    expect(providerAvailability('6.25.0', env, platform)).toEqual({ found: true, where: `${home}/mirror (filesystem_mirror of ${env.TF_CLI_CONFIG_FILE})` });

    mkdirSync(join(home, '.cache', 'registry.terraform.io', 'hashicorp', 'aws', '6.26.0', platform), { recursive: true });
    writeFileSync(env.TF_CLI_CONFIG_FILE as string, 'plugin_cache_dir = "$HOME/.cache"\n');
    expect(providerAvailability('6.26.0', env, platform)).toEqual({ found: true, where: `${home}/.cache (plugin_cache_dir of ${env.TF_CLI_CONFIG_FILE})` });
  });

  it('through a dev override, or in ~/.terraform.d/plugins', () => {
    const { home, env } = fresh();
    writeFileSync(env.TF_CLI_CONFIG_FILE as string, 'provider_installation {\n  dev_overrides {\n    "hashicorp/aws" = "/opt/provider"\n  }\n  direct {}\n}\n');
    expect(providerAvailability('6.25.0', env, platform).found).toBe(true);
    mkdirSync(join(home, '.terraform.d', 'plugins', 'registry.terraform.io', 'hashicorp', 'aws', '6.25.0', platform), { recursive: true });
    expect(providerAvailability('6.25.0', { HOME: home }, platform)).toEqual({ found: true, where: `${join(home, '.terraform.d', 'plugins')} (implicit local mirror)` });
  });

  it('says why not when it is nowhere', () => {
    const { env } = fresh();
    const result = providerAvailability('6.25.0', env, platform);
    expect(result).toEqual({ found: false, why: expect.stringContaining('hashicorp/aws 6.25.0 (linux_amd64) is in no local plugin cache or mirror') });
  });
});

describe('npm run schema:refresh', () => {
  const work = mkdtempSync(join(tmpdir(), 'schema-refresh-test-'));
  // A synthesized output to read instead of synthesizing again: one stack of the real app.
  const outdir = join(work, 'cdktf.out');
  mkdirSync(join(outdir, 'stacks', 'dev-network'), { recursive: true });
  const stack = synthesized.find((candidate) => candidate.name === 'dev-network') as { json: Record<string, unknown> };
  writeFileSync(join(outdir, 'stacks', 'dev-network', 'cdk.tf.json'), JSON.stringify(stack.json));
  writeFileSync(
    join(outdir, 'manifest.json'),
    JSON.stringify({ stacks: { 'dev-network': { name: 'dev-network', dependencies: [], synthesizedStackPath: 'stacks/dev-network/cdk.tf.json' } } }),
  );
  // A stand-in terraform: records its arguments and working directory, prints the committed schema.
  const bin = join(work, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'terraform'),
    `#!/bin/sh
echo "$* | $(ls)" >> "$FAKE_TF_LOG"
case "$1" in
  init) [ -z "$FAKE_TF_FAIL" ] || { echo "Error: Failed to query available provider packages" >&2; exit 1; } ;;
  providers) if grep -q '"backend": {' cdk.tf.json; then echo 'Error: Backend initialization required' >&2; exit 1; fi; cat "$FAKE_TF_SCHEMA" ;;
esac
`,
  );
  chmodSync(join(bin, 'terraform'), 0o755);
  const testEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${bin}:/usr/bin:/bin`, FAKE_TF_LOG: join(work, 'tf.log'), FAKE_TF_SCHEMA: committedPath, ...env });
  // In-process (the command's own function); the first test runs the npm script's file as a process.
  const refresh = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const status = schemaRefreshCommand(['--dir', outdir, ...args], { env: testEnv(env), cwd: root, log: (line) => stdout.push(line), error: (line) => stderr.push(line) });
    return { status, stdout: stdout.map((line) => `${line}\n`).join(''), stderr: stderr.map((line) => `${line}\n`).join('') };
  };

  it('--from a full schema (plain or gzip) writes the trimmed schema; from itself, the same bytes', () => {
    const gz = join(work, 'full.json.gz');
    writeFileSync(gz, gzipSync(readFileSync(committedPath)));
    const out = join(work, 'from.json');
    const result = spawnSync(process.execPath, ['-r', './scripts/ts-register.cjs', 'scripts/schema-refresh.ts', '--dir', outdir, '--from', gz, '--out', out], {
      cwd: root,
      env: testEnv({}),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('schema:refresh: 4/4 trimming to');
    expect(result.stdout).toMatch(/schema:refresh: wrote .*from\.json: \d+ resource types, \d+ data source types, without the provider-configuration block/);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(committedPath, 'utf8'));
  });

  it('without --from runs terraform init and providers schema -json in a synthesized stack without its backend', () => {
    const out = join(work, 'terraform.json');
    const result = refresh(['--out', out]);
    expect(result.status).toBe(0);
    expect(readFileSync(join(work, 'tf.log'), 'utf8')).toBe('init -input=false -no-color | cdk.tf.json\nproviders schema -json | cdk.tf.json\n');
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(committedPath, 'utf8'));
  });

  it('fails, writing nothing, when the full schema lacks a wanted type', () => {
    const small = join(work, 'small.json');
    writeFileSync(small, JSON.stringify(fullSchema));
    const out = join(work, 'never.json');
    const result = refresh(['--from', small, '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/schema:refresh: not in the full schema: .*aws_vpc,.*data\.aws_caller_identity/);
    expect(result.stderr).toContain('FAILED');
    expect(existsSync(out)).toBe(false);
  });

  it('fails with terraform’s reason when terraform init fails, or says terraform is missing', () => {
    expect(refresh(['--out', join(work, 'x.json')], { FAKE_TF_FAIL: '1' })).toEqual(
      expect.objectContaining({ status: 1, stderr: expect.stringContaining('terraform init failed in a copy of dev-network') }),
    );
    expect(refresh(['--out', join(work, 'x.json')], { PATH: '/nonexistent' })).toEqual(
      expect.objectContaining({ status: 1, stderr: expect.stringContaining('terraform is not on PATH; install it, or pass --from') }),
    );
    expect(existsSync(join(work, 'x.json'))).toBe(false);
  });

  it('refuses a file that is not a provider schema, and unknown options', () => {
    writeFileSync(join(work, 'plan.json'), '{"resource_changes": []}');
    expect(refresh(['--from', join(work, 'plan.json')])).toEqual(expect.objectContaining({ status: 1, stderr: expect.stringContaining('not a provider schema') }));
    expect(refresh(['--form', 'x'])).toEqual(expect.objectContaining({ status: 2, stderr: expect.stringContaining('usage: npm run schema:refresh') }));
  });
});
