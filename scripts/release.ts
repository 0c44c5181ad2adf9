// `npm run release -- <env> <service> <image-tag>` | `-- <env> <service> --rollback`: one image to one
// service, migrations first, waited for to the end. See src/release/release-command.ts.
import { releaseCommand } from '../src/release/release-command';

releaseCommand(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Not a user mistake (those exit 2 with one line): show everything there is.
    console.error(error);
    process.exitCode = 1;
  },
);
