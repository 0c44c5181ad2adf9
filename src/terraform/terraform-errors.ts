// What a failed terraform run means for the operator, said once: a held state lock (who holds it and
// the exact force-unlock), a saved plan made stale, providers that differ from the lock file, or the
// generic error block.
import { execFileSync } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import { terraformError, type TerraformResult } from './terraform';

/** The machine the command runs on: who a lock's `Who` (user@host) names when it is ours. */
export interface Host {
  readonly user: string;
  readonly hostname: string;
  /** Whether a terraform process runs on this machine now (then a lock of ours may be a live run). */
  terraformRunning(): boolean;
}

export function thisHost(): Host {
  return {
    user: userInfo().username,
    hostname: hostname(),
    terraformRunning: () => {
      try {
        return execFileSync('ps', ['-A', '-o', 'comm='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
          .split('\n')
          .some((name) => name.trim() === 'terraform');
      } catch {
        return true; // unknown: never call a lock dead on a guess
      }
    },
  };
}

/** The `Lock Info:` block terraform prints with "Error acquiring the state lock". */
interface LockInfo {
  readonly id: string;
  readonly path?: string;
  readonly operation?: string;
  readonly who?: string;
  readonly version?: string;
  readonly created?: string;
}

const plain = (output: string) => output.replace(/\x1b\[[0-9;]*m/g, '').replace(/^[│|] ?/gm, '');

/** The lock that stopped terraform, when that is why it failed. */
function lockError(output: string): LockInfo | undefined {
  const text = plain(output);
  if (!/Error acquiring the state lock/.test(text)) return undefined;
  const field = (name: string) => new RegExp(`^\\s*${name}:[ \\t]*(.*)$`, 'm').exec(text.slice(text.indexOf('Lock Info:')))?.[1]?.trim() || undefined;
  const id = text.includes('Lock Info:') ? field('ID') : undefined;
  if (!id) return undefined;
  return { id, path: field('Path'), operation: field('Operation'), who: field('Who'), version: field('Version'), created: field('Created') };
}

/** The lock message: who holds it since when, and the exact force-unlock, in which directory. */
function describeLock(stack: string, lock: LockInfo, dir: string, host: Host): string {
  const mine = lock.who === `${host.user}@${host.hostname}`;
  const dead = mine && !host.terraformRunning();
  const holder = [lock.operation, lock.created && `since ${lock.created}`, lock.version && `Terraform ${lock.version}`].filter(Boolean).join(', ');
  return [
    `${stack}: the state is locked by another run: lock ID ${lock.id}, held by ${lock.who ?? '(unknown)'}${holder ? ` (${holder})` : ''}${lock.path ? `, state ${lock.path}` : ''}.`,
    dead
      ? `    It looks like a dead run of this machine (${lock.who}, and no terraform process runs here): release it with`
      : `    If that run is still going, wait for it. Only if it is dead (killed mid-run), release the lock with`,
    `      cd ${dir} && terraform force-unlock ${lock.id}`,
    `    then plan again.`,
  ].join('\n');
}

/** Init or apply found provider packages that differ from the checksums of the lock file. */
const providerMismatch = (output: string) =>
  /does(n't| not) match any of the checksums (previously )?recorded in the dependency lock file|Inconsistent dependency lock file/i.test(flat(output));

const planIsStale = (output: string) => /saved plan is stale/i.test(flat(output));

/** Terraform wraps its messages at 78 columns: one line for matching. */
const flat = (output: string) => plain(output).replace(/\s+/g, ' ');

/**
 * The failure of `terraform <what>` in `stack`, said once: our explanation instead of terraform's
 * block when we know what it means, else terraform's error block.
 */
export function explainFailure(stack: string, what: string, result: TerraformResult, context: { env: string; dir: string; host: Host; planning?: boolean }): string {
  const lock = lockError(result.output);
  if (lock) return describeLock(stack, lock, context.dir, context.host);
  if (providerMismatch(result.output) && context.planning) {
    return `${stack}: terraform ${what}: the provider packages found do not match the checksums of the committed lock file (locks/${stack}.terraform.lock.hcl): run \`npm run lock\` on a machine that reaches the registry, or check the provider mirror TF_CLI_CONFIG_FILE names.`;
  }
  if (providerMismatch(result.output)) {
    return `${stack}: terraform ${what}: the provider packages differ from the lock file the plan was made with: plan again (\`npm run plan -- ${context.env}\`).`;
  }
  if (planIsStale(result.output)) {
    return `${stack}: terraform ${what}: the saved plan is stale (the state changed since it was made, e.g. another apply): plan again (\`npm run plan -- ${context.env}\`).`;
  }
  return `${stack}: terraform ${what} failed (exit ${result.status}):\n${terraformError(result.output)}`;
}
