// The image side of a release, all in ECR: resolve what the operator named to one digest, check that
// the previous environment released that digest (promotion), and tag what ships `released-<env>-<n>`
// so the repository's lifecycle policy keeps it (running image and rollback target alike).
import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  PutImageCommand,
  type ImageDetail,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { BAKING_TAG_PREFIX, isReleaseTag, RELEASED_TAG_PREFIX } from '../naming';
import { errorText, ReleaseFailed } from './errors';
import type { PreviousEnvironment, ReleaseRequest } from './input';
import type { Session } from './session';

/** What a release ships. */
export interface ResolvedImage {
  /** The operator's tag, or the digest when released by digest alone. */
  readonly tag: string;
  readonly digest: string;
  /** `<repository uri>@<digest>`. */
  readonly image: string;
  /** `<registry host>/<repository>`. */
  readonly repositoryUri: string;
  /** Account of the registry (the environment's account). */
  readonly account: string;
}

/**
 * Prefix of the tags releases put on what they ship once it is SUCCESSFUL (rolling: COMPLETED): the
 * promotion evidence of the next environment. The ECR lifecycle policy keeps these images.
 */
export const releasedTagPrefix = (envName: string) => `${RELEASED_TAG_PREFIX}${envName}-`;
/**
 * Prefix of the tag a blue/green release puts on its image while the bake runs (traffic on green, ECS
 * may still roll back): the lifecycle policy keeps the image, but it is no promotion evidence. Removed
 * when the deployment ends (replaced by `released-<env>-<n>`, or dropped on rollback).
 */
const bakingTagPrefix = (envName: string) => `${BAKING_TAG_PREFIX}${envName}-`;
/** `released-<env>-<n>`: release `sequence`'s promotion evidence. */
export const releasedTag = (envName: string, sequence: number) => `${releasedTagPrefix(envName)}${sequence}`;
/** `baking-<env>-<n>`: release `sequence`'s image while its bake runs. */
export const bakingTag = (envName: string, sequence: number) => `${bakingTagPrefix(envName)}${sequence}`;

/** Every manifest kind ECR stores, so PutImage gets the manifest back byte for byte. */
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

/**
 * Resolves `tag` (which must point at `digest` when both are given) or `digest` alone to the image in
 * `repository`. `knownAs` names a digest in messages (a rollback's recorded tag).
 */
export async function resolveImage(
  session: Session,
  repository: string,
  tag: string | undefined,
  digest: string | undefined,
  knownAs?: string,
): Promise<ResolvedImage> {
  const { ecr } = session.clients;
  let uri: string | undefined;
  try {
    const repos = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [repository] }), { abortSignal: session.signal });
    uri = repos.repositories?.[0]?.repositoryUri;
  } catch (error) {
    if ((error as Error).name === 'RepositoryNotFoundException') throw new ReleaseFailed(`ECR repository ${repository} does not exist`, false);
    throw error;
  }
  if (!uri) throw new ReleaseFailed(`ECR repository ${repository} does not exist`, false);
  // A tag is looked up by tag (and must then match the digest given with it); a digest by digest.
  const imageId: ImageIdentifier = tag !== undefined ? { imageTag: tag } : { imageDigest: digest };
  const detail = await describeImage(session, repository, imageId);
  const found = detail?.imageDigest;
  if (!found) {
    const what = tag === undefined ? `image ${digest}${knownAs ? ` (tag ${knownAs})` : ''}` : `tag ${tag}`;
    throw new ReleaseFailed(`${what} not found in ECR repository ${repository} (${uri}): push it first`, false);
  }
  if (tag !== undefined && digest !== undefined && found !== digest) {
    throw new ReleaseFailed(`tag ${tag} in ${repository} points at ${found}, not ${digest}: someone pushed over it, or the digest is wrong; release by the digest you mean`, false);
  }
  const name = tag ?? knownAs ?? detail.imageTags?.find((t) => !isReleaseTag(t)) ?? found;
  return { tag: name, digest: found, image: `${uri}@${found}`, repositoryUri: uri, account: uri.split('.')[0] };
}

async function describeImage(session: Session, repository: string, imageId: ImageIdentifier): Promise<ImageDetail | undefined> {
  try {
    const images = await session.clients.ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [imageId] }), { abortSignal: session.signal });
    return images.imageDetails?.[0];
  } catch (error) {
    if ((error as Error).name !== 'ImageNotFoundException') throw error;
    return undefined;
  }
}

/**
 * The promotion check: a release to an environment with a previous one ships a digest that environment
 * released (evidence: a `released-<prev>-<n>` tag on it in the previous environment's repository).
 * Refused unless --force-unpromoted, which warns loudly. Rollbacks ship what this environment ran.
 */
export async function checkPromotion(session: Session, request: ReleaseRequest, digest: string): Promise<void> {
  const previous = request.previousEnv;
  if (!previous || request.target.kind === 'rollback') return;
  session.step(`Checking that ${previous.name} released ${digest.slice(0, 19)}… (promotion)`);
  const evidence = await promotionEvidence(session, previous, digest);
  if (evidence.tags.length > 0) {
    session.detail(`${previous.name} released it as ${evidence.tags.join(', ')}`);
    return;
  }
  const why = `${previous.name} never released ${digest} (no ${releasedTagPrefix(previous.name)}<n> tag on it in ${previous.repository}${evidence.note ? `: ${evidence.note}` : ''})`;
  if (!request.forceUnpromoted) {
    throw new ReleaseFailed(`${why}: release it to ${previous.name} first, or pass --force-unpromoted to ship it anyway`, false);
  }
  session.warn(`!!! --force-unpromoted: ${why}; shipping it to ${request.env.name} anyway`);
}

async function promotionEvidence(session: Session, previous: PreviousEnvironment, digest: string): Promise<{ tags: string[]; note?: string }> {
  try {
    const result = await session.clients.ecrIn(previous.region).send(
      new DescribeImagesCommand({
        repositoryName: previous.repository,
        ...(previous.registryId ? { registryId: previous.registryId } : {}),
        imageIds: [{ imageDigest: digest }],
      }),
      { abortSignal: session.signal },
    );
    const tags = (result.imageDetails ?? []).flatMap((d) => d.imageTags ?? []).filter((t) => t.startsWith(releasedTagPrefix(previous.name)));
    return { tags };
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'ImageNotFoundException') return { tags: [], note: 'the digest is not in that repository' };
    if (name === 'RepositoryNotFoundException') return { tags: [], note: 'the repository does not exist' };
    throw error;
  }
}

/**
 * Tags the shipped digest `released-<env>-<n>` (BatchGetImage the manifest, PutImage it under the new
 * tag). A tag that exists already is fine. A failure is a warning: the release itself stands, but the
 * lifecycle policy does not protect the image and the next environment sees no promotion evidence.
 */
export async function tagShipped(session: Session, repository: string, digest: string, tag: string, signal: AbortSignal): Promise<void> {
  const { ecr } = session.clients;
  try {
    const got = await ecr.send(new BatchGetImageCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }], acceptedMediaTypes: MANIFEST_TYPES }), {
      abortSignal: signal,
    });
    const image = got?.images?.[0];
    if (!image?.imageManifest) throw new Error(`BatchGetImage returned no manifest for ${digest}`);
    await ecr.send(
      new PutImageCommand({
        repositoryName: repository,
        imageManifest: image.imageManifest,
        ...(image.imageManifestMediaType ? { imageManifestMediaType: image.imageManifestMediaType } : {}),
        imageDigest: digest,
        imageTag: tag,
      }),
      { abortSignal: signal },
    );
    session.detail(`tagged ${digest.slice(0, 19)}… ${tag} in ${repository}`);
  } catch (error) {
    if ((error as Error).name === 'ImageAlreadyExistsException') {
      session.detail(`${tag} already on ${digest.slice(0, 19)}… in ${repository}`);
      return;
    }
    session.warn(`could not tag ${digest} ${tag} in ${repository} (${errorText(error)}): the lifecycle policy does not protect it`);
  }
}

/**
 * Removes `tags` (those present) from the image `digest`: a rolled-back release must leave no promotion
 * evidence, and a finished bake no baking tag. BatchDeleteImage by tag removes only that tag, but "when
 * you remove the last tag from an image, the image is deleted"
 * (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_BatchDeleteImage.html): a tag that is the
 * image's last is left, with a warning. Failures are warnings (the release's outcome stands).
 */
export async function untagImage(session: Session, repository: string, digest: string, tags: string[], signal: AbortSignal): Promise<void> {
  const { ecr } = session.clients;
  try {
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageDigest: digest }] }), { abortSignal: signal });
    const has = images.imageDetails?.[0]?.imageTags ?? [];
    const remove = has.filter((t) => tags.includes(t));
    if (remove.length === 0) return;
    if (remove.length === has.length) {
      session.warn(`left ${remove.join(', ')} on ${digest.slice(0, 19)}… in ${repository}: removing the image's last tag would delete the image`);
      return;
    }
    const result = await ecr.send(new BatchDeleteImageCommand({ repositoryName: repository, imageIds: remove.map((imageTag) => ({ imageTag })) }), { abortSignal: signal });
    const failed = (result.failures ?? []).map((f) => `${f.imageId?.imageTag}: ${f.failureCode} ${f.failureReason ?? ''}`.trim());
    if (failed.length > 0) throw new Error(failed.join('; '));
    session.detail(`removed ${remove.join(', ')} from ${digest.slice(0, 19)}… in ${repository}`);
  } catch (error) {
    if ((error as Error).name === 'ImageNotFoundException') return;
    session.warn(
      `could not remove ${tags.join(', ')} from ${digest} in ${repository} (${errorText(error)}): ` +
        `remove it by hand: aws ecr batch-delete-image --repository-name ${repository} --image-ids ${tags.map((t) => `imageTag=${t}`).join(' ')}`,
    );
  }
}
