// `npm run validate [-- --dir cdktf.out] [--terraform | --schema-only]`: see src/validate/validate-command.ts.
import { validateCommand } from '../src/validate/validate-command';

void validateCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
