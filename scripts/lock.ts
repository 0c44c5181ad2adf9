// `npm run lock [-- <env>...]`: provider lock files for every stack into locks/ (needs registry access).
import { lockCommand } from '../src/terraform/commands';

void lockCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
