// `npm run schema:refresh [-- --from <schema.json[.gz]>] [--dir cdktf.out] [--out <file>]`: regenerates the
// committed trimmed provider schema; see src/validate/schema-refresh-command.ts.
import { schemaRefreshCommand } from '../src/validate/schema-refresh-command';

process.exitCode = schemaRefreshCommand(process.argv.slice(2));
