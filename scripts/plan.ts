// `npm run plan -- <env> [<stack>...]`: saved plans of an environment in plans/<env>/ and their review
// (terminal, reports/plan-<env>.md and .json). See src/terraform/plan.ts.
import { planCommand } from '../src/terraform/commands';

void planCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
