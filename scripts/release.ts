// `npm run release -- <env> <service> <image>` | `--rollback` | `--status`: one image to one service,
// migrations first, waited for until it serves (blue/green: until the bake runs). Exit 0/1/2/4; see
// src/release/release-command.ts (SIGINT/SIGTERM end the wait with exit 4 and where the rollout stands).
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
