// Running the `terraform` found on PATH, with the caller's environment (credentials, TF_CLI_CONFIG_FILE
// and any other tooling's settings are inherited, never replaced).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Interrupts } from './interrupts';

export interface TerraformResult {
  /** Exit code; 127 when terraform could not be started. */
  readonly status: number;
  /** stdout and stderr, interleaved as they came. */
  readonly output: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Called with each line of terraform's output as it comes (long applies show progress). */
  readonly onLine?: (line: string) => void;
  /**
   * Relays SIGINT/SIGTERM to terraform. Terraform then runs in its own process group, so a ctrl-C in
   * the terminal reaches it once, through the relay, not twice (see interrupts.ts).
   */
  readonly interrupts?: Interrupts;
}

/**
 * The environment terraform runs with: the caller's, plus a provider plugin cache so that `init` in
 * several stacks downloads each provider once. `TF_PLUGIN_CACHE_DIR` wins when set (CI caches it);
 * otherwise `~/.terraform.d/plugin-cache` (created). The CLI config file is left alone.
 */
export function terraformEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = { ...base };
  if (!env.TF_PLUGIN_CACHE_DIR) env.TF_PLUGIN_CACHE_DIR = join(env.HOME || homedir(), '.terraform.d', 'plugin-cache');
  mkdirSync(env.TF_PLUGIN_CACHE_DIR, { recursive: true });
  // Terraform then leaves out hints to run commands by hand that this tool runs for you.
  env.TF_IN_AUTOMATION ??= '1';
  return env;
}

export function runTerraform(args: string[], options: RunOptions): Promise<TerraformResult> {
  return new Promise((resolve) => {
    let output = '';
    let pending = '';
    const relay = options.interrupts?.relaying ? options.interrupts : undefined;
    const child = spawn('terraform', args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: relay !== undefined });
    relay?.attach(child);
    // Line by line, in order: the relay learns that terraform took a signal from its "Interrupt
    // received" line, not from a line written before (a signal may come between two lines of a chunk).
    const collect = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        relay?.line(line);
        options.onLine?.(line);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', (error: NodeJS.ErrnoException) => {
      relay?.detach(child);
      const why = error.code === 'ENOENT' ? 'terraform was not found on PATH (install Terraform >= 1.10)' : error.message;
      resolve({ status: 127, output: why });
    });
    child.on('close', (code, signal) => {
      relay?.detach(child);
      if (code === null && signal) output += `\nterraform was killed by ${signal}\n`;
      if (pending) {
        relay?.line(pending);
        options.onLine?.(pending);
      }
      resolve({ status: code ?? 1, output });
    });
  });
}

/** terraform's error blocks from its output (what follows the first `Error:`), else its last lines. */
export function terraformError(output: string): string {
  // Colour codes are kept for a terminal but do not count when looking for the error block.
  const plain = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, '').trim();
  const lines = output.split('\n');
  const start = lines.findIndex((l) => /^(│ )?Error:/.test(plain(l)) || /^╷/.test(plain(l)));
  const chosen = start >= 0 ? lines.slice(start) : lines.slice(-15);
  return chosen
    .filter((l) => plain(l) !== '')
    .map((l) => `    ${l}`)
    .join('\n');
}
