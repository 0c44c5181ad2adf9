// `npm run validate [-- --dir cdktf.out] [--terraform | --schema-only]`: every synthesized stack against
// the AWS provider schema committed in schema/ (TF_PROVIDER_SCHEMA overrides it), and the real
// `terraform validate` where terraform and the pinned provider are at hand. Without --dir it synthesizes
// first. Exits 1 with one line per problem; the last line says which validations ran.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { stacksFrom } from '../src/synth-output';
import { loadProviderSchema, validateStack } from '../src/validate/provider-schema';
import { pinnedProviderVersion } from '../src/validate/synthesizable-types';
import { findTerraform, providerAvailability, terraformValidate } from '../src/validate/terraform-validate';
import { committedSchemaPath } from '../src/validate/trimmed-schema';

async function main(): Promise<number> {
  let values: { dir?: string; terraform?: boolean; 'schema-only'?: boolean };
  try {
    ({ values } = parseArgs({ options: { dir: { type: 'string' }, terraform: { type: 'boolean' }, 'schema-only': { type: 'boolean' } } }));
  } catch (error) {
    console.error(`validate: ${(error as Error).message}\nusage: npm run validate [-- --dir cdktf.out] [--terraform | --schema-only]`);
    return 2;
  }
  if (values.terraform && values['schema-only']) {
    console.error('validate: --terraform and --schema-only exclude each other');
    return 2;
  }

  const version = pinnedProviderVersion();
  const committed = committedSchemaPath(version);
  const schemaPath = process.env.TF_PROVIDER_SCHEMA || committed;
  const schemaName = process.env.TF_PROVIDER_SCHEMA ? `${schemaPath} (TF_PROVIDER_SCHEMA)` : `the committed trimmed schema of provider ${version}`;
  if (!existsSync(schemaPath)) {
    console.error(
      process.env.TF_PROVIDER_SCHEMA
        ? `validate: TF_PROVIDER_SCHEMA=${schemaPath} does not exist`
        : `validate: no committed schema for provider ${version} (${relative(process.cwd(), committed)}); create it with \`npm run schema:refresh\``,
    );
    return 1;
  }

  // Decide about terraform first, so a forced run without terraform fails before the synth.
  const terraform = findTerraform();
  let terraformPlan: { run: true; terraform: string; source: string } | { run: false; why: string };
  if (values['schema-only']) terraformPlan = { run: false, why: '--schema-only' };
  else if (!terraform) terraformPlan = { run: false, why: 'terraform is not on PATH' };
  else if (values.terraform) terraformPlan = { run: true, terraform, source: 'asked for with --terraform' };
  else {
    const provider = providerAvailability(version);
    terraformPlan = provider.found ? { run: true, terraform, source: `hashicorp/aws ${version} from ${provider.where}` } : { run: false, why: provider.why };
  }
  if (values.terraform && !terraformPlan.run) {
    console.error(`validate: --terraform: ${terraformPlan.why}`);
    return 1;
  }

  console.log(values.dir ? `validate: reading ${values.dir}` : 'validate: synthesizing every environment');
  const stacks = stacksFrom(values.dir);
  if (!stacks) return 1;

  console.log(`validate: schema check of ${stacks.length} stacks against ${process.env.TF_PROVIDER_SCHEMA ? schemaName : `${schemaName} (${relative(process.cwd(), committed)})`}`);
  const schema = loadProviderSchema(schemaPath);
  const problems = stacks.flatMap((stack) => validateStack(stack.name, stack.json, schema));
  for (const problem of problems) console.error(problem);
  if (!process.env.TF_PROVIDER_SCHEMA && problems.some((problem) => / unknown (resource|data source) type$/.test(problem))) {
    console.error('validate: a type this project synthesizes is missing from the committed schema: `npm run schema:refresh` adds it (README "Offline validation")');
  }

  const ran = [`schema check against ${schemaName}`];
  let terraformErrors = 0;
  if (terraformPlan.run) {
    console.log(`validate: terraform validate of ${stacks.length} stacks (${terraformPlan.source})`);
    const outcome = await terraformValidate(terraformPlan.terraform, stacks, (line) => console.log(`  ${line}`));
    for (const result of outcome.results) {
      result.warnings.forEach((line) => console.error(line));
      result.errors.forEach((line) => console.error(line));
      terraformErrors += result.errors.length;
    }
    if (!outcome.initFailure) ran.push(`terraform validate of ${stacks.length} stacks`);
    else {
      const failure = `terraform init -backend=false failed in ${outcome.initFailure.stack}: ${outcome.initFailure.reason}`;
      if (values.terraform) {
        // Asked for: not being able to run it is a failure.
        console.error(`validate: ${failure}`);
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
  console.log(`validate: ${verdict}: ${ran.join('; ')}`);
  return total === 0 ? 0 : 1;
}

void main().then((code) => {
  process.exitCode = code;
});
