// `npm run lock [-- <env>...]`: provider lock files for every stack into locks/ (needs registry access).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lock } from '../src/terraform/lock';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { root: { type: 'string' }, 'synth-dir': { type: 'string' } } });
  } catch (error) {
    process.stderr.write(`lock: ${(error as Error).message}\nusage: npm run lock [-- <env>...]\n`);
    return 2;
  }
  // The project directory (plans/, reports/, locks/, state/, git); another one only in tests.
  const root = resolve(parsed.values.root ?? resolve(__dirname, '..'));
  return lock({ root, envs: parsed.positionals, outdir: resolve(root, process.env.CDKTF_OUTDIR ?? 'cdktf.out'), synthDir: parsed.values['synth-dir'] });
}

main().then((code) => (process.exitCode = code));
