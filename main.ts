// Entry point of `cdktf synth`: validate all configuration first, then build every environment.
import { ConstructValidationError, synthesizeEnvironments } from './src/app-synth';
import { environments, project } from './src/config/environments';
import { loadConfig, optionsFromEnv } from './src/config/load';
import { reportConfigErrors } from './src/config/report';
import { skipTokenCreationStacks } from './src/lib/token-stacks';
import { configWarnings } from './src/config/warnings';

const configs = reportConfigErrors(() => loadConfig(project, environments, optionsFromEnv(process.env)));

if (configs) {
  // Switched-off safeguards warn on every synth; example values only when plan/deploy ask for them.
  // (`cdktf synth/deploy` pass this stderr on, behind a log header of their own.)
  for (const line of configWarnings(configs, { examples: process.env.CONFIG_WARN_EXAMPLES === '1' })) process.stderr.write(`${line}\n`);
  skipTokenCreationStacks();
  try {
    synthesizeEnvironments(configs);
  } catch (error) {
    if (!(error instanceof ConstructValidationError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}
