// `npm run release -- <env> <service> <image-tag>` | `-- <env> <service> --rollback`
// Ships an image that exists in ECR (pinned by digest) to one service: migrations first, then a
// rolling or ECS-native blue/green rollout, waited for to the end, then the release record.
// Exit codes: 0 released, 1 the release failed (the verdict says what moved), 2 bad input (no AWS call).
import { environments, project } from '../src/config/environments';
import { createClients } from '../src/release/clients';
import { InputError, ReleaseFailed } from '../src/release/errors';
import { parseReleaseArgs, USAGE, type ReleaseRequest } from '../src/release/input';
import { Release } from '../src/release/release';

async function main(): Promise<number> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let request: ReleaseRequest;
  try {
    request = parseReleaseArgs(process.argv.slice(2), project, environments);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    for (const line of error.problems) console.error(`release: ${line}`);
    return 2;
  }
  const time = () => new Date().toISOString().slice(11, 19);
  const release = new Release({
    clients: createClients(request.env.region),
    log: { info: (line) => console.log(`${time()} ${line}`), error: (line) => console.error(`${time()} ${line}`) },
  });
  try {
    await release.run(request);
    return 0;
  } catch (error) {
    if (error instanceof ReleaseFailed) return 1; // the verdict is printed
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
