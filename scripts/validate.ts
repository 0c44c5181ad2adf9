// `npm run validate [-- --dir cdktf.out]`: every synthesized stack against the AWS provider schema.
// Without --dir it synthesizes first. Exits 1 with one line per problem.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stacksFrom } from '../src/synth-output';
import { loadProviderSchema, validateStack } from '../src/validate/provider-schema';

const DEFAULT_SCHEMA = join(__dirname, '..', '..', 'shared', 'aws-provider-schema', 'aws-6.25.0.json.gz');

function main(): number {
  const { values } = parseArgs({ options: { dir: { type: 'string' } } });
  const schemaPath = process.env.TF_PROVIDER_SCHEMA || (existsSync(DEFAULT_SCHEMA) ? DEFAULT_SCHEMA : undefined);
  if (!schemaPath || !existsSync(schemaPath)) {
    const where = schemaPath ? `TF_PROVIDER_SCHEMA=${schemaPath} does not exist` : 'no provider schema found';
    console.error(
      `validate: ${where}. Produce one where the Terraform registry is reachable:\n` +
        '  cd cdktf.out/stacks/<stack> && terraform init -backend=false && terraform providers schema -json > aws-schema.json\n' +
        'then set TF_PROVIDER_SCHEMA to that file (plain JSON or .gz).',
    );
    if (process.env.CI === 'true') return 1;
    console.error('validate: skipped (not CI).');
    return 0;
  }

  const stacks = stacksFrom(values.dir);
  if (!stacks) return 1;
  const schema = loadProviderSchema(schemaPath);
  const problems = stacks.flatMap((stack) => validateStack(stack.name, stack.json, schema));
  for (const problem of problems) console.error(problem);
  console.log(
    problems.length === 0
      ? `validate: ${stacks.length} stacks valid against ${schemaPath}`
      : `validate: ${problems.length} problem(s) in ${stacks.length} stacks`,
  );
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = main();
