// Synthesizing the cdktf App: every construct validation cdktf would run, without its per-stack
// `terraform version` spawns.
//
// cdktf adds a ValidateTerraformVersion(">=1.5") to every stack that has `moved` blocks and runs it at
// synth: one `terraform version` child process per such stack (12 here), about half of a full synth's
// time. The stacks already declare `required_version` (src/stacks/environment-stack.ts), which
// terraform itself enforces at init/plan, so that check adds nothing. cdktf has no public switch for
// only that check, so the App skips cdktf's validation pass (`skipValidation`, public API) and
// `synthesizeApp` runs every construct's own validations (`node.validate()`, also public) before
// writing anything: a construct that fails validation still stops the synth with nothing written.
import { App, type AppConfig } from 'cdktf';
import { buildEnvironment } from './app';
import { skipTokenCreationStacks } from './lib/token-stacks';
import type { EnvironmentConfig } from './config/load';

/** A cdktf App whose validations `synthesizeApp` runs (not cdktf's synth, which would spawn terraform). */
export function newApp(config: Omit<AppConfig, 'skipValidation'> = {}): App {
  return new App({ ...config, skipValidation: true });
}

/** Raised when constructs fail their validations; nothing has been written. */
export class ConstructValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`construct validation failed:\n  ${problems.join('\n  ')}`);
    this.name = 'ConstructValidationError';
  }
}

/** Every validation error of the constructs under `app`, as `[path] message` (cdktf's format). */
function validationErrors(app: App): string[] {
  return app.node.findAll().flatMap((construct) => construct.node.validate().map((message) => `[${construct.node.path}] ${message}`));
}

/** Validates every construct, then synthesizes the app into its outdir. */
export function synthesizeApp(app: App): void {
  const problems = validationErrors(app);
  if (problems.length > 0) throw new ConstructValidationError(problems);
  app.synth();
}

/**
 * What main.ts writes: the environments `configs` in one App, validated, then synthesized into `outdir`
 * (default: cdktf's, `CDKTF_OUTDIR` or `cdktf.out`). `chain` is every environment of the project (the
 * promotion chain, which the bootstrap and data stacks read): an environment synthesized alone
 * (`ENVIRONMENTS=prod`, as `npm run plan -- prod` does) must come out as in a full synth. cdktf's
 * per-token creation stacks are skipped first (src/lib/token-stacks.ts; CDKTF_TOKEN_STACKS=1 keeps them).
 */
export function synthesizeEnvironments(configs: readonly EnvironmentConfig[], outdir?: string, chain: readonly EnvironmentConfig[] = configs): void {
  skipTokenCreationStacks();
  const app = newApp(outdir === undefined ? {} : { outdir });
  for (const config of configs) buildEnvironment(app, config, chain);
  synthesizeApp(app);
}
