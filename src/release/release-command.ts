// `npm run release -- <env> <service> <image-tag>` | `-- <env> <service> --rollback`
// Ships an image that exists in ECR (pinned by digest) to one service: migrations first, then a
// rolling or ECS-native blue/green rollout, waited for to the end, then the release record.
// Exit codes: 0 released, 1 the release failed (the verdict says what moved), 2 bad input (no AWS call).
import { environments, project } from '../config/environments';
import { processIo, type CommandIo } from '../lib/command-io';
import { createClients } from './clients';
import { InputError, ReleaseFailed } from './errors';
import { parseReleaseArgs, USAGE, type ReleaseRequest } from './input';
import { Release } from './release';

/** `npm run release` on `argv`; returns the exit code. AWS credentials come from the SDK's standard chain. */
export async function releaseCommand(argv: string[], io: CommandIo = processIo()): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.log(USAGE);
    return 0;
  }
  let request: ReleaseRequest;
  try {
    request = parseReleaseArgs(argv, project, environments);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    for (const line of error.problems) io.error(`release: ${line}`);
    return 2;
  }
  const time = () => new Date().toISOString().slice(11, 19);
  const release = new Release({
    clients: createClients(request.env.region),
    log: { info: (line) => io.log(`${time()} ${line}`), error: (line) => io.error(`${time()} ${line}`) },
  });
  try {
    await release.run(request);
    return 0;
  } catch (error) {
    if (error instanceof ReleaseFailed) return 1; // the verdict is printed
    throw error;
  }
}
