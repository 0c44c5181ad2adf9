// `npm run validate [-- --dir cdktf.out] [--terraform | --schema-only]`: every synthesized stack against
// the AWS provider schema committed in schema/ (TF_PROVIDER_SCHEMA overrides it), and the real
// `terraform validate` where terraform and the pinned provider are at hand. Without --dir it synthesizes
// first. Exits 1 with one line per problem; the last line says which validations ran.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { stacksFrom } from '../synth-output';
import { processIo, type CommandIo } from '../lib/command-io';
import { loadProviderSchema, validateStack, type ProviderSchema } from './provider-schema';
import { pinnedProviderVersion } from './synthesizable-types';
import { findTerraform, providerAvailability, terraformValidate } from './terraform-validate';
import { committedSchemaPath } from './trimmed-schema';

/** `npm run validate` on `argv`; returns the exit code. */
export async function validateCommand(argv: string[], io: CommandIo = processIo()): Promise<number> {
  const { env } = io;
  let values: { dir?: string; terraform?: boolean; 'schema-only'?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, terraform: { type: 'boolean' }, 'schema-only': { type: 'boolean' } } }));
  } catch (error) {
    io.error(`validate: ${(error as Error).message}\nusage: npm run validate [-- --dir cdktf.out] [--terraform | --schema-only]`);
    return 2;
  }
  if (values.terraform && values['schema-only']) {
    io.error('validate: --terraform and --schema-only exclude each other');
    return 2;
  }

  const version = pinnedProviderVersion();
  const committed = committedSchemaPath(version);
  const schemaPath = env.TF_PROVIDER_SCHEMA || committed;
  const schemaName = env.TF_PROVIDER_SCHEMA ? `${schemaPath} (TF_PROVIDER_SCHEMA)` : `the committed trimmed schema of provider ${version}`;
  if (!existsSync(schemaPath)) {
    io.error(
      env.TF_PROVIDER_SCHEMA
        ? `validate: TF_PROVIDER_SCHEMA=${schemaPath} does not exist`
        : `validate: no committed schema for provider ${version} (${relative(io.cwd, committed)}); create it with \`npm run schema:refresh\``,
    );
    return 1;
  }

  // Decide about terraform first, so a forced run without terraform fails before the synth.
  const terraform = findTerraform(env);
  let terraformPlan: { run: true; terraform: string; source: string } | { run: false; why: string };
  if (values['schema-only']) terraformPlan = { run: false, why: '--schema-only' };
  else if (!terraform) terraformPlan = { run: false, why: 'terraform is not on PATH' };
  else if (values.terraform) terraformPlan = { run: true, terraform, source: 'asked for with --terraform' };
  else {
    const provider = providerAvailability(version, env);
    terraformPlan = provider.found ? { run: true, terraform, source: `hashicorp/aws ${version} from ${provider.where}` } : { run: false, why: provider.why };
  }
  if (values.terraform && !terraformPlan.run) {
    io.error(`validate: --terraform: ${terraformPlan.why}`);
    return 1;
  }

  io.log(values.dir ? `validate: reading ${values.dir}` : 'validate: synthesizing every environment');
  const stacks = stacksFrom(values.dir, io);
  if (!stacks) return 1;

  io.log(`validate: schema check of ${stacks.length} stacks against ${env.TF_PROVIDER_SCHEMA ? schemaName : `${schemaName} (${relative(io.cwd, committed)})`}`);
  let schema: ProviderSchema;
  try {
    schema = loadProviderSchema(schemaPath);
  } catch (error) {
    io.error(`validate: ${error instanceof SyntaxError ? `${schemaPath}: not JSON (${error.message})` : (error as Error).message}`);
    return 1;
  }
  const problems = stacks.flatMap((stack) => validateStack(stack.name, stack.json, schema));
  for (const problem of problems) io.error(problem);
  if (!env.TF_PROVIDER_SCHEMA && problems.some((problem) => / unknown (resource|data source) type$/.test(problem))) {
    io.error('validate: a type this project synthesizes is missing from the committed schema: `npm run schema:refresh` adds it (README "Offline validation")');
  }

  const ran = [`schema check against ${schemaName}`];
  let terraformErrors = 0;
  if (terraformPlan.run) {
    io.log(`validate: terraform validate of ${stacks.length} stacks (${terraformPlan.source})`);
    const outcome = await terraformValidate(terraformPlan.terraform, stacks, (line) => io.log(`  ${line}`), env);
    for (const result of outcome.results) {
      result.warnings.forEach((line) => io.error(line));
      result.errors.forEach((line) => io.error(line));
      terraformErrors += result.errors.length;
    }
    if (!outcome.initFailure) ran.push(`terraform validate of ${stacks.length} stacks`);
    else {
      const failure = `terraform init -backend=false failed in ${outcome.initFailure.stack}: ${outcome.initFailure.reason}`;
      if (values.terraform) {
        // Asked for: not being able to run it is a failure.
        io.error(`validate: ${failure}`);
        terraformErrors += 1;
        ran.push('terraform validate failed to start');
      } else {
        // Found the provider by looking, yet init failed: report it, the schema check still stands.
        ran.push(`terraform validate not run: ${failure}`);
      }
    }
  } else {
    ran.push(`terraform validate not run: ${terraformPlan.why}`);
  }

  const total = problems.length + terraformErrors;
  const verdict = total === 0 ? `${stacks.length} stacks valid` : `${total} problem(s) in ${stacks.length} stacks`;
  io.log(`validate: ${verdict}: ${ran.join('; ')}`);
  return total === 0 ? 0 : 1;
}
