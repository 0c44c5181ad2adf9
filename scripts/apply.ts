// `npm run apply -- <env> [<stack>...] [--allow-destroy]`: applies the saved plans of plans/<env>/,
// exactly those files, in dependency order. See src/terraform/apply.ts for the refusals and exit codes.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { apply } from '../src/terraform/apply';

const USAGE = 'usage: npm run apply -- <env> [<stack>...] [--allow-destroy] [--allow-other-commit] [--synth-dir <cdktf output>] [--plans-dir plans]';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        'allow-destroy': { type: 'boolean', default: false },
        'allow-other-commit': { type: 'boolean', default: false },
        'synth-dir': { type: 'string' },
        'plans-dir': { type: 'string', default: 'plans' },
        'reports-dir': { type: 'string', default: 'reports' },
      },
    });
  } catch (error) {
    process.stderr.write(`apply: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  // The project directory (plans/, reports/, locks/, state/, git); another one only in tests.
  const root = resolve(parsed.values.root ?? resolve(__dirname, '..'));
  const [env, ...stacks] = parsed.positionals;
  return apply({
    root,
    env,
    stacks,
    allowDestroy: parsed.values['allow-destroy']!,
    allowOtherCommit: parsed.values['allow-other-commit']!,
    outdir: resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out'),
    synthDir: parsed.values['synth-dir'],
    plansDir: resolve(root, parsed.values['plans-dir']!),
    reportsDir: resolve(root, parsed.values['reports-dir']!),
  });
}

main().then((code) => (process.exitCode = code));
