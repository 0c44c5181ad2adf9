// The commands that read synthesized output: synth, validate, review, diagram, lock; and the pipelines.
// One jest file for several specs: see ./run-specs.ts.
import { runSpecs } from './run-specs';

runSpecs([
  'cli',
  'diagram',
  'review',
  'review-plan',
  'pipeline',
  'concurrency',
]);
