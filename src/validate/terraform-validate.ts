// The real `terraform validate`, where it can run: `terraform` on PATH and the pinned hashicorp/aws
// release installable without guessing (a local mirror, plugin cache or dev override), or asked for
// explicitly (`--terraform`, which lets `terraform init` download it from the registry).
import { spawn } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

const PROVIDER_ADDRESS = 'registry.terraform.io/hashicorp/aws';

/** The first executable `terraform` on `env.PATH`. */
export function findTerraform(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'terraform.exe' : 'terraform');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Terraform's name of this machine's platform (`linux_amd64`), the directory level of a provider mirror. */
export function terraformPlatform(platform: string = process.platform, arch: string = process.arch): string {
  const os = platform === 'win32' ? 'windows' : platform;
  const cpu = ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm' } as Record<string, string>)[arch] ?? arch;
  return `${os}_${cpu}`;
}

export type ProviderAvailability = { readonly found: true; readonly where: string } | { readonly found: false; readonly why: string };

/**
 * Where terraform would find hashicorp/aws `version` without the registry: a dev override, or the
 * package in a filesystem mirror, plugin cache (`TF_PLUGIN_CACHE_DIR`, `plugin_cache_dir`) or one of
 * the implicit local mirror directories. Reads the CLI configuration with a few patterns, not a full
 * HCL parser: enough for the usual one-setting-per-line files.
 */
export function providerAvailability(version: string, env: NodeJS.ProcessEnv = process.env, platform = terraformPlatform()): ProviderAvailability {
  const home = env.HOME ?? env.USERPROFILE ?? '';
  const configFile = env.TF_CLI_CONFIG_FILE || join(home, '.terraformrc');
  const config = existsSync(configFile) ? readFileSync(configFile, 'utf8').replace(/^\s*(#|\/\/).*$/gm, '') : '';
  if (/dev_overrides\s*\{[^}]*"(registry\.terraform\.io\/)?hashicorp\/aws"\s*=/.test(config)) {
    return { found: true, where: `a dev_overrides entry in ${configFile}` };
  }
  const expand = (path: string) => path.replace(/^~(?=\/|$)/, home).replace(/\$\{?HOME\}?/g, home);
  const candidates: Array<[string, string]> = [];
  if (env.TF_PLUGIN_CACHE_DIR) candidates.push([expand(env.TF_PLUGIN_CACHE_DIR), 'TF_PLUGIN_CACHE_DIR']);
  for (const match of config.matchAll(/plugin_cache_dir\s*=\s*"([^"]+)"/g)) candidates.push([expand(match[1]), `plugin_cache_dir of ${configFile}`]);
  for (const match of config.matchAll(/filesystem_mirror\s*\{[^}]*?path\s*=\s*"([^"]+)"/g)) candidates.push([expand(match[1]), `filesystem_mirror of ${configFile}`]);
  const data = env.XDG_DATA_HOME || join(home, '.local', 'share');
  for (const dir of [join(home, '.terraform.d', 'plugins'), join(data, 'terraform', 'plugins'), '/usr/local/share/terraform/plugins', '/usr/share/terraform/plugins']) {
    candidates.push([dir, 'implicit local mirror']);
  }
  for (const [dir, source] of candidates) {
    const unpacked = join(dir, PROVIDER_ADDRESS, version, platform);
    const packed = join(dir, PROVIDER_ADDRESS, `terraform-provider-aws_${version}_${platform}.zip`);
    if (existsSync(unpacked) || existsSync(packed)) return { found: true, where: `${dir} (${source})` };
  }
  return {
    found: false,
    why: `hashicorp/aws ${version} (${platform}) is in no local plugin cache or mirror (TF_PLUGIN_CACHE_DIR, plugin_cache_dir or filesystem_mirror of ${configFile}, ~/.terraform.d/plugins); --terraform lets terraform init download it`,
  };
}

export interface TerraformStackResult {
  readonly stack: string;
  /** Error lines (`<stack>: terraform validate: error: <summary> ...`); empty when valid. */
  readonly errors: string[];
  /** Warning lines, same form. */
  readonly warnings: string[];
}

export interface TerraformValidateOutcome {
  /** One entry per stack validated, in order. */
  readonly results: TerraformStackResult[];
  /** Set when `terraform init` failed (then the remaining stacks were not tried: the cause is shared). */
  readonly initFailure?: { readonly stack: string; readonly reason: string };
}

interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail?: string;
  readonly address?: string;
  readonly range?: { start?: { line?: number } };
}

/**
 * `terraform init -backend=false` and `terraform validate -json` on each stack, in a scratch copy
 * (the backend is never touched; no state, no credentials). Stacks that require the same providers
 * and use no modules share one init; the validations run in parallel, one per core (each starts its
 * own provider process, which is most of the time). `progress` gets one line per stack.
 */
export async function terraformValidate(
  terraform: string,
  stacks: ReadonlyArray<{ readonly name: string; readonly json: Record<string, unknown> }>,
  progress: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TerraformValidateOutcome> {
  const work = mkdtempSync(join(tmpdir(), 'tf-validate-'));
  const runEnv = { ...env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0' };
  try {
    // Sequential inits: terraform's plugin cache is not safe for concurrent installs.
    const initialized = new Map<string, string>();
    for (const stack of stacks) {
      const dir = join(work, stack.name);
      mkdirSync(dir);
      writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(stack.json, null, 2));
      const key = stack.json.module === undefined ? JSON.stringify((stack.json.terraform as { required_providers?: unknown } | undefined)?.required_providers ?? {}) : undefined;
      const shared = key === undefined ? undefined : initialized.get(key);
      if (shared) {
        symlinkSync(join(shared, '.terraform'), join(dir, '.terraform'), 'dir');
        copyFileSync(join(shared, '.terraform.lock.hcl'), join(dir, '.terraform.lock.hcl'));
        continue;
      }
      const init = await run(terraform, ['init', '-backend=false', '-input=false', '-no-color'], dir, runEnv);
      if (init.status !== 0) {
        progress(`${stack.name}: terraform init failed`);
        return { results: [], initFailure: { stack: stack.name, reason: terraformError(`${init.stderr}\n${init.stdout}`) || `exit ${init.status}` } };
      }
      if (key !== undefined && existsSync(join(dir, '.terraform.lock.hcl'))) initialized.set(key, dir);
    }
    const results = await inParallel(stacks, availableParallelism(), async (stack) => {
      const result = await run(terraform, ['validate', '-json', '-no-color'], join(work, stack.name), runEnv);
      const outcome = validateOutcome(stack.name, result);
      progress(`${stack.name}: ${outcome.errors.length ? `${outcome.errors.length} error(s)` : 'valid'}${outcome.warnings.length ? `, ${outcome.warnings.length} warning(s)` : ''}`);
      return outcome;
    });
    return { results };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', (error) => resolve({ status: null, stdout, stderr: `${stderr}\n${error.message}` }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The lines of one stack's `terraform validate -json`. */
function validateOutcome(stack: string, result: Ran): TerraformStackResult {
  let parsed: { valid?: boolean; diagnostics?: Diagnostic[] };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    return { stack, errors: [`${stack}: terraform validate failed: ${terraformError(result.stderr) || `exit ${result.status}`}`], warnings: [] };
  }
  // A dev override always warns about itself; that says nothing about the stack.
  const diagnostics = (parsed.diagnostics ?? []).filter((d) => !/development overrides/i.test(d.summary));
  const line = (d: Diagnostic) => {
    const where = [d.address, d.range?.start?.line ? `cdk.tf.json:${d.range.start.line}` : ''].filter(Boolean).join(' ');
    const detail = (d.detail ?? '').split(/\s+/).join(' ').trim();
    return `${stack}: terraform validate: ${d.severity}: ${d.summary}${where ? ` [${where}]` : ''}${detail ? `: ${detail}` : ''}`;
  };
  const errors = diagnostics.filter((d) => d.severity === 'error').map(line);
  if (parsed.valid === false && errors.length === 0) errors.push(`${stack}: terraform validate: invalid (no diagnostics)`);
  return { stack, errors, warnings: diagnostics.filter((d) => d.severity !== 'error').map(line) };
}

/** `fn` over `items` with at most `limit` running at once; results in the order of `items`. */
async function inParallel<T, R>(items: ReadonlyArray<T>, limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Terraform's `Error:` paragraph (box-drawing frame removed), else its last lines, on one line. */
export function terraformError(text: string): string {
  const lines = text.split('\n').map((line) => line.replace(/^[\s│╷╵]+/, '').trimEnd());
  const start = lines.findIndex((line) => line.startsWith('Error:'));
  if (start < 0) return lines.filter(Boolean).slice(-3).join(' ');
  const paragraph: string[] = [lines[start]];
  // The summary, a blank line, then the detail paragraph.
  let i = start + 1;
  while (i < lines.length && !lines[i]) i++;
  for (; i < lines.length && lines[i]; i++) paragraph.push(lines[i]);
  return paragraph.join(' ').replace(/\s+/g, ' ').trim();
}
