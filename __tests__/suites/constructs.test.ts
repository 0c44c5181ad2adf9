// The construct library, construct by construct (Testing.synthScope and the real environments).
// One jest file for several specs: see ./run-specs.ts.
import { runSpecs } from './run-specs';

runSpecs([
  'alarms',
  'blue-green',
  'buckets',
  'cache',
  'connections',
  'customer-key',
  'database',
  'ec2-capacity',
  'edge',
  'network',
  'service-security',
  'worker-service',
  'scheduled-task',
  'app-synth',
]);
