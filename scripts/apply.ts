// `npm run apply -- <env> [<stack>...] [--allow-destroy]`: applies the saved plans of plans/<env>/,
// exactly those files, in dependency order. See src/terraform/apply.ts for the refusals and exit codes.
import { applyCommand } from '../src/terraform/commands';

void applyCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
