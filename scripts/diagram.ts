// `npm run diagram [-- --dir cdktf.out] [--out reports/diagrams]`: each environment's topology as SVG
// and Mermaid, drawn from the synthesized JSON. See src/diagram/diagram-command.ts.
import { diagramCommand } from '../src/diagram/diagram-command';

void diagramCommand(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
