// Entry point of `cdktf synth`: validate all configuration first, then build every environment.
import { Annotations, App } from 'cdktf';
import { buildEnvironment } from './src/app';
import { environments, project } from './src/config/environments';
import { loadConfig, optionsFromEnv } from './src/config/load';
import { reportConfigErrors } from './src/config/report';
import { configWarnings } from './src/config/warnings';

const configs = reportConfigErrors(() => loadConfig(project, environments, optionsFromEnv(process.env)));

if (configs) {
  // Switched-off safeguards warn on every synth; example values only when plan/deploy ask for them.
  const warnings = configWarnings(configs, { examples: process.env.CONFIG_WARN_EXAMPLES === '1' });
  for (const line of warnings) process.stderr.write(`${line}\n`);
  // No stack traces in the manifest's annotations: synth output must not depend on the checkout's path.
  const app = new App({ context: { '@cdktf/disable_stack_trace_in_metadata': true } });
  configs.forEach((config, i) => {
    const stacks = buildEnvironment(app, config);
    // `cdktf synth/diff/deploy` hide the app's stderr but print annotations: each line once, on the
    // environment's first stack (project-wide lines on the first environment's).
    const mine = warnings.filter((line) => line.startsWith(`warning: ${config.name}.`) || (i === 0 && line.startsWith('warning: project.')));
    for (const line of mine) Annotations.of(stacks.bootstrap).addWarning(line);
  });
  app.synth();
}
