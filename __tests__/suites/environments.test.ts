// Whole environments: config rules, stacks, workloads, pipeline identities, schema validation.
// One jest file for several specs: see ./run-specs.ts.
import { runSpecs } from './run-specs';

runSpecs([
  'containers',
  'stacks',
  'workloads',
  'warnings',
  'bootstrap',
  'identities',
  'provider-schema',
  'config',
  'validator',
  'naming',
  'imports',
]);
