// Importing the provider package's root loads all ~1,500 resource classes: seconds and hundreds of MB.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['node_modules', 'cdktf.out', '.gen', '.git'].includes(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? tsFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('imports', () => {
  const files = tsFiles(root);

  it('finds the project\'s TypeScript files', () => {
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(expect.arrayContaining(['main.ts', join('src', 'constructs', 'network.ts')]));
  });

  it('import @cdktf/provider-aws only by deep path (lib/<resource>)', () => {
    const offenders = files.filter((file) => /from\s+['"]@cdktf\/provider-aws['"]|require\(\s*['"]@cdktf\/provider-aws['"]\s*\)/.test(readFileSync(file, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('layering: src/ never imports scripts/ (scripts are thin CLIs over src/)', () => {
    const src = files.filter((file) => file.startsWith(join(root, 'src') + '/'));
    const offenders = src.filter((file) => /(from\s+|import\(\s*|require\(\s*)['"][./]*\/?scripts\//.test(readFileSync(file, 'utf8')));
    expect(src.length).toBeGreaterThan(10);
    expect(offenders).toEqual([]);
  });

  it('layering: constructs never import the config (they take their own Props)', () => {
    const constructs = files.filter((file) => file.startsWith(join(root, 'src', 'constructs') + '/'));
    const offenders = constructs.filter((file) => /from\s+['"]\.\.\/config\//.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => f.slice(root.length + 1))).toEqual([]);
  });
});
