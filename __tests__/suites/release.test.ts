// The release tool against aws-sdk-client-mock (and one stand-in endpoint).
// One jest file for several specs: see ./run-specs.ts.
import { runSpecs } from './run-specs';

runSpecs([
  'release',
  'release-cli',
  'release-record',
]);
