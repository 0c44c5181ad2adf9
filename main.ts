// Entry point of `cdktf synth`: validate all configuration first, then build every environment.
import type * as AppSynth from './src/app-synth';
import { environments, project } from './src/config/environments';
import { loadConfig, optionsFromEnv } from './src/config/load';
import { reportConfigErrors } from './src/config/report';
import { skipTokenCreationStacks } from './src/lib/token-stacks';
import { configWarnings } from './src/config/warnings';

const options = optionsFromEnv(process.env);
const configs = reportConfigErrors(() => loadConfig(project, environments, options));

if (configs) {
  // Switched-off safeguards warn on every synth; example values only when plan/deploy ask for them.
  // (`cdktf synth/deploy` pass this stderr on, behind a log header of their own.)
  for (const line of configWarnings(configs, { examples: process.env.CONFIG_WARN_EXAMPLES === '1' })) process.stderr.write(`${line}\n`);
  skipTokenCreationStacks();
  // cdktf, the provider classes and the constructs load only for a valid configuration: a mistake in
  // it is reported in a third of the time a synth takes to start.
  const { ConstructValidationError, synthesizeEnvironments } = require('./src/app-synth') as typeof AppSynth;
  try {
    // Every environment (they all loaded above): the promotion chain of those ENVIRONMENTS selects.
    const chain = options.only === undefined ? configs : loadConfig(project, environments);
    synthesizeEnvironments(configs, undefined, chain);
  } catch (error) {
    if (!(error instanceof ConstructValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
