// Runs the project's TypeScript on plain Node: swc strips the types of our own .ts files as they
// are required (no type checking here: `npm run typecheck` does that), and leaves node_modules alone.
// Faster than a general-purpose loader that hooks every module.
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');

const options = {
  jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  // ignoreDynamic keeps import() for ESM-only packages (e.g. the Graphviz WebAssembly build).
  module: { type: 'commonjs', ignoreDynamic: true },
  sourceMaps: 'inline',
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), { ...options, filename });
  module._compile(code, filename);
};
