// `npm run release:chain -- <service>`: the environments a release of the service goes through, one per
// line, in order (pipelines loop over it). See src/release/chain.ts.
import { environments } from '../src/config/environments';
import { releaseChainCommand } from '../src/release/chain';

process.exitCode = releaseChainCommand(process.argv.slice(2), environments);
