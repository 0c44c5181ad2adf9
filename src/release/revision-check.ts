// What a release may register: the revision it copied from the family's latest, checked before
// RegisterTaskDefinition (and before the migrate task runs). Whatever edited the family since the last
// apply — a console click, a hand-made revision, a tampered copy — a release never carries another
// family's roles (e.g. the migrate execution role that reads the database master secret onto the web
// service), host namespaces, host paths or devices, added capabilities, a root user, privileged
// containers, or an image from outside the environment.
import type { RegisterTaskDefinitionRequest } from '@aws-sdk/client-ecs';
import { ReleaseFailed } from './errors';

/** What the family's revision must be. */
export interface RevisionExpectation {
  /** Task definition family. */
  readonly family: string;
  /** ARN partition (`aws`, `aws-cn`, …). */
  readonly partition: string;
  /** The environment's account (the ECR registry's), the only account its roles may come from. */
  readonly account: string;
  /** The family's own task role name (src/naming.ts serviceNames). */
  readonly taskRole: string;
  /** The family's own execution role name. */
  readonly executionRole: string;
  /** The release container's name; its image must be exactly `image`. */
  readonly container: string;
  /** `<repository uri>@sha256:…`: what the release ships. */
  readonly image: string;
  /**
   * Sidecar images must be pinned by digest in the environment's own registry under this repository
   * prefix (`<registry host>/<service>-<env>/`): nothing the release did not choose can change under it.
   */
  readonly sidecarPrefix: string;
}

const HOST = 'host';
const BY_DIGEST = /@sha256:[a-f0-9]{64}$/;

/** The problems of `revision` (empty when it may be registered). */
export function revisionProblems(revision: RegisterTaskDefinitionRequest, expected: RevisionExpectation): string[] {
  const problems: string[] = [];
  const role = (name: string) => `arn:${expected.partition}:iam::${expected.account}:role/${name}`;
  if (revision.family !== expected.family) problems.push(`family is ${revision.family}, expected ${expected.family}`);
  if (revision.taskRoleArn !== role(expected.taskRole)) problems.push(`taskRoleArn is ${revision.taskRoleArn ?? 'unset'}, expected ${role(expected.taskRole)}`);
  if (revision.executionRoleArn !== role(expected.executionRole)) {
    problems.push(`executionRoleArn is ${revision.executionRoleArn ?? 'unset'}, expected ${role(expected.executionRole)}`);
  }
  if (revision.networkMode === HOST) problems.push('networkMode is "host" (the host\'s network namespace)');
  if (revision.pidMode === HOST) problems.push('pidMode is "host" (sees every process on the host)');
  if (revision.ipcMode === HOST) problems.push('ipcMode is "host"');
  // Terraform's volumes are scratch volumes (a name only): a host path or a local-driver bind reaches the host's files.
  for (const volume of revision.volumes ?? []) {
    if (volume.host?.sourcePath) problems.push(`volume ${volume.name} mounts the host path ${volume.host.sourcePath}`);
    const opts = volume.dockerVolumeConfiguration?.driverOpts ?? {};
    if (opts.device || /\bbind\b/.test(opts.o ?? '')) problems.push(`volume ${volume.name} binds a host path through its Docker volume driver options`);
  }
  for (const container of revision.containerDefinitions ?? []) {
    const name = container.name ?? '(unnamed)';
    if (container.privileged) problems.push(`container ${name} is privileged`);
    const linux = container.linuxParameters;
    if (linux?.capabilities?.add?.length) problems.push(`container ${name} adds Linux capabilities (${linux.capabilities.add.join(', ')})`);
    if (linux?.devices?.length) problems.push(`container ${name} maps host devices (${linux.devices.map((d) => d.hostPath).join(', ')})`);
    if (container.dockerSecurityOptions?.length) problems.push(`container ${name} sets dockerSecurityOptions (${container.dockerSecurityOptions.join(', ')})`);
    if (container.name === expected.container) {
      if (container.image !== expected.image) problems.push(`container ${name} runs ${container.image}, expected ${expected.image}`);
      // What Terraform's template sets on it (src/constructs/task-definition.ts hardenedContainer): a non-root user, no
      // capabilities, a read-only root file system.
      if (!container.user) problems.push(`container ${name} has no user (the image's default, often root)`);
      else if (isRoot(container.user)) problems.push(`container ${name} runs as root (user ${container.user})`);
      if (!linux?.capabilities?.drop?.includes('ALL')) problems.push(`container ${name} does not drop all Linux capabilities (linuxParameters.capabilities.drop ["ALL"])`);
      if (container.readonlyRootFilesystem !== true) problems.push(`container ${name} has a writable root file system (readonlyRootFilesystem is not true)`);
    } else if (!container.image?.startsWith(expected.sidecarPrefix) || !BY_DIGEST.test(container.image)) {
      problems.push(`sidecar ${name} runs ${container.image ?? 'no image'}: sidecars must be pinned by digest in ${expected.sidecarPrefix}…@sha256:<digest>`);
    }
  }
  return problems;
}

/** `root`, `0`, or either with a group (`0:0`, `root:app`). */
function isRoot(user: string): boolean {
  const who = user.split(':')[0].trim();
  return who === 'root' || /^0+$/.test(who);
}

/** Throws (nothing registered) when the revision is not what the family may run. */
export function checkRevision(revision: RegisterTaskDefinitionRequest, expected: RevisionExpectation): void {
  const problems = revisionProblems(revision, expected);
  if (problems.length === 0) return;
  throw new ReleaseFailed(
    `refusing to register ${expected.family}: the family's latest revision is not what Terraform made it (${problems.join('; ')}); ` +
      `re-apply the app stack to restore it, then release again`,
    false,
  );
}
