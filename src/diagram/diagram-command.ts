// `npm run diagram [-- --dir cdktf.out] [--out reports/diagrams]`: each environment's topology drawn
// from the synthesized JSON, as SVG (Graphviz compiled to WebAssembly: no native binary) and Mermaid
// text for Markdown. Without --dir it synthesizes first.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { processIo, type CommandIo } from '../lib/command-io';
import { stacksFrom } from '../synth-output';
import { toDot, toMermaid } from './render';
import { topologyOf } from './topology';

const USAGE = 'usage: npm run diagram [-- --dir cdktf.out] [--out reports/diagrams]';

/** `npm run diagram` on `argv`; returns the exit code. */
export async function diagramCommand(argv: string[], io: CommandIo = processIo()): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { dir: { type: 'string' }, out: { type: 'string', default: 'reports/diagrams' } } }));
  } catch (error) {
    io.error(`diagram: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const stacks = stacksFrom(values.dir, io);
  if (!stacks) return 1;
  const environments = [...new Set(stacks.map((s) => s.name.replace(/-[a-z]+$/, '')))];
  const { Graphviz } = await import('@hpcc-js/wasm-graphviz');
  const graphviz = await Graphviz.load();
  const target = resolve(io.cwd, values.out!);
  mkdirSync(target, { recursive: true });
  for (const env of environments) {
    const topology = topologyOf(env, stacks);
    const title = `${env}: traffic the security groups allow (solid) and egress (dashed), from the synthesized Terraform`;
    writeFileSync(join(target, `${env}.svg`), graphviz.dot(toDot(topology, title)));
    writeFileSync(join(target, `${env}.mmd`), toMermaid(topology, title));
    io.log(`${env}: ${join(values.out!, `${env}.svg`)}, ${join(values.out!, `${env}.mmd`)}`);
  }
  return 0;
}
