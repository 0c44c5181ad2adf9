// `npm run diagram [-- --dir cdktf.out] [--out reports/diagrams]`: each environment's topology drawn
// from the synthesized JSON, as SVG (Graphviz compiled to WebAssembly: no native binary) and
// Mermaid text for Markdown.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { toDot, toMermaid } from '../src/diagram/render';
import { topologyOf } from '../src/diagram/topology';
import { stacksFrom } from '../src/synth-output';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, out: { type: 'string', default: 'reports/diagrams' } } });
  const stacks = stacksFrom(values.dir);
  if (!stacks) return 1;
  const environments = [...new Set(stacks.map((s) => s.name.replace(/-[a-z]+$/, '')))];
  const { Graphviz } = await import('@hpcc-js/wasm-graphviz');
  const graphviz = await Graphviz.load();
  const target = resolve(values.out!);
  mkdirSync(target, { recursive: true });
  for (const env of environments) {
    const topology = topologyOf(env, stacks);
    const title = `${env}: traffic the security groups allow (solid) and egress (dashed), from the synthesized Terraform`;
    writeFileSync(join(target, `${env}.svg`), graphviz.dot(toDot(topology, title)));
    writeFileSync(join(target, `${env}.mmd`), toMermaid(topology, title));
    console.log(`${env}: ${join(values.out!, `${env}.svg`)}, ${join(values.out!, `${env}.mmd`)}`);
  }
  return 0;
}

main().then((code) => {
  process.exitCode = code;
});
