// Runs the project's TypeScript on plain Node: swc strips the types of our own .ts files as they
// are required (no type checking here: `npm run typecheck` does that), and leaves node_modules alone.
// Faster than a general-purpose loader that hooks every module. Output is cached by content hash.
const { createHash } = require('node:crypto');

// Node 22.1+ keeps V8's compiled code of every module on disk (cdktf, the provider classes, the AWS SDK),
// which cuts the start-up of each process; Node 20 has no such cache and skips this.
require('node:module').enableCompileCache?.();
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const options = {
  jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  // ignoreDynamic keeps import() for ESM-only packages (e.g. the Graphviz WebAssembly build).
  module: { type: 'commonjs', ignoreDynamic: true },
};
const cacheDir = join(__dirname, '..', 'node_modules', '.cache', 'ts-register');
const salt = `${require('@swc/core/package.json').version}${JSON.stringify(options)}`;

function compile(source, filename) {
  const key = createHash('sha1').update(salt).update(filename).update(source).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    const { code } = require('@swc/core').transformSync(source, { ...options, filename });
    try {
      mkdirSync(cacheDir, { recursive: true });
      writeFileSync(cached, code);
    } catch {
      // A read-only checkout still runs, just without the cache.
    }
    return code;
  }
}

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(compile(readFileSync(filename, 'utf8'), filename), filename);
};
