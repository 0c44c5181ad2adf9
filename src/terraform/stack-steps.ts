// Terraform steps of several stacks side by side (plan's init, plan and show; apply's init and show before
// it applies anything): at most `parallel` terraform processes at once, and the inits one at a time. The
// inits share the provider plugin cache, which terraform does not guarantee to be safe for concurrent use
// (https://developer.hashicorp.com/terraform/cli/config/config-file#provider-plugin-cache); each next init
// overlaps the steps already running.
import { limiter } from './concurrency';
import type { Interrupts } from './interrupts';
import { prepareLockFile } from './lock-files';
import { runTerraform, type TerraformResult } from './terraform';

/** Terraform processes a run starts at once unless `--parallel` says otherwise. */
export const DEFAULT_PARALLEL = 4;

/** The terraform steps of one stack. Each resolves undefined when a signal came before it could start. */
export interface StackSteps {
  /** `terraform <args>` in a free slot, said as `terraform <what>` (said not at all when `what` is undefined). */
  run(what: string | undefined, args: string[], onLine?: (line: string) => void): Promise<TerraformResult | undefined>;
  /** `terraform init` with the lock file `lockFile` (see prepareLockFile), one init at a time. */
  init(lockFile: string): Promise<TerraformResult | undefined>;
}

/** Shared slots for a run's stacks: call the result with a stack's directory and how to say its steps. */
export function stackSteps(parallel: number, env: NodeJS.ProcessEnv, interrupts: Interrupts): (cwd: string, step: (what: string) => void) => StackSteps {
  const slot = limiter(parallel);
  const initOneAtATime = limiter(1);
  return (cwd, step) => {
    const run: StackSteps['run'] = (what, args, onLine) =>
      slot(async () => {
        if (interrupts.signal) return undefined;
        if (what !== undefined) step(`terraform ${what}`);
        return runTerraform(args, { cwd, env, interrupts, onLine });
      });
    const init = (lockFile: string) =>
      initOneAtATime(async () => {
        if (interrupts.signal) return undefined;
        // -reconfigure: the backend as synthesized now, like a fresh CI checkout, never a cached older one
        // (moving state between backends is a deliberate `terraform init -migrate-state`, README step 1).
        return run('init', ['init', '-input=false', '-reconfigure', ...prepareLockFile(cwd, lockFile)]);
      });
    return { run, init };
  };
}
