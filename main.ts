// Entry point of `cdktf synth`: validate all configuration first, then build every environment.
import { App } from 'cdktf';
import { buildEnvironment } from './src/app';
import { environments, project } from './src/config/environments';
import { loadConfig, optionsFromEnv } from './src/config/load';
import { reportConfigErrors } from './src/config/report';

const configs = reportConfigErrors(() => loadConfig(project, environments, optionsFromEnv(process.env)));

if (configs) {
  const app = new App();
  for (const config of configs) buildEnvironment(app, config);
  app.synth();
}
