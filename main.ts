// Entry point of `cdktf synth`: validate all configuration first, then build every environment.
import type * as AppSynth from './src/app-synth';
import { environments, project } from './src/config/environments';
import { loadEnvironments, optionsFromEnv } from './src/config/load';
import { reportConfigErrors } from './src/config/report';
import { configWarnings } from './src/config/warnings';

const options = optionsFromEnv(process.env);
const loaded = reportConfigErrors(() => loadEnvironments(project, environments, options));

if (loaded) {
  const configs = loaded.selected;
  // Switched-off safeguards warn on every synth; example values only when plan/deploy ask for them.
  // (`cdktf synth/deploy` pass this stderr on, behind a log header of their own.)
  for (const line of configWarnings(configs, { examples: process.env.CONFIG_WARN_EXAMPLES === '1' })) process.stderr.write(`${line}\n`);
  // cdktf, the provider classes and the constructs load only for a valid configuration: a mistake in
  // it is reported in a third of the time a synth takes to start.
  const { ConstructValidationError, synthesizeEnvironments } = require('./src/app-synth') as typeof AppSynth;
  try {
    // Every environment is the promotion chain of those ENVIRONMENTS selects.
    synthesizeEnvironments(configs, undefined, loaded.all);
  } catch (error) {
    if (!(error instanceof ConstructValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
