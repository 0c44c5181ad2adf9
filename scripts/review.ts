// `npm run review -- [--base <git ref>] | --plan <file|dir> [--allow-destroy] [--out reports]`: the review
// of a change (synthesized JSON against a base) or of saved Terraform plans. See src/review/review-command.ts.
import { reviewCommand } from '../src/review/review-command';

void reviewCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
