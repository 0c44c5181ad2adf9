// Provider lock files. Synth rewrites cdktf.out, so the committed ones live in `locks/<stack>.terraform.lock.hcl`
// and are copied into the stack's directory before `terraform init -lockfile=readonly`. `npm run lock`
// writes them; a saved plan set keeps the lock file its init used, so apply installs the same providers.
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const LOCKS_DIR = 'locks';
export const LOCK_FILE = '.terraform.lock.hcl';

/** Platforms `npm run lock` records checksums for: CI runners and Apple-silicon laptops. */
export const LOCK_PLATFORMS = ['linux_amd64', 'darwin_arm64'];

export const committedLockFile = (root: string, stack: string) => join(root, LOCKS_DIR, `${stack}${LOCK_FILE}`);

/**
 * Puts `source` (when it exists) in the stack directory as its lock file and returns the init
 * arguments: `-lockfile=readonly` then, so init fails instead of choosing other providers. Without a
 * source, any lock file left by an earlier init is removed so init records the providers it picks.
 */
export function prepareLockFile(stackDir: string, source: string | undefined): string[] {
  const target = join(stackDir, LOCK_FILE);
  if (source && existsSync(source)) {
    copyFileSync(source, target);
    return ['-lockfile=readonly'];
  }
  rmSync(target, { force: true });
  return [];
}
