// `npm run plan -- <env> [<stack>...] [--synth-dir <cdktf.out>]`: saved plans of an environment in
// plans/<env>/ and their review (terminal, reports/plan-<env>.md and .json). See src/terraform/plan.ts.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { plan } from '../src/terraform/plan';

const USAGE = 'usage: npm run plan -- <env> [<stack>...] [--synth-dir <cdktf output>] [--plans-dir plans] [--reports-dir reports]';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { root: { type: 'string' }, 'synth-dir': { type: 'string' }, 'plans-dir': { type: 'string', default: 'plans' }, 'reports-dir': { type: 'string', default: 'reports' } },
    });
  } catch (error) {
    process.stderr.write(`plan: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  // The project directory (plans/, reports/, locks/, state/, git); another one only in tests.
  const root = resolve(parsed.values.root ?? resolve(__dirname, '..'));
  const [env, ...stacks] = parsed.positionals;
  return plan({
    root,
    env,
    stacks,
    outdir: resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out'),
    synthDir: parsed.values['synth-dir'],
    plansDir: resolve(root, parsed.values['plans-dir']!),
    reportsDir: resolve(root, parsed.values['reports-dir']!),
  });
}

main().then((code) => (process.exitCode = code));
