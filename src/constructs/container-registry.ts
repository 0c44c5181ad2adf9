// ECR repositories, one per service. Images are immutable and
// scanned; old ones expire so the registry does not grow forever — except what releases shipped
// (the running image and the rollback target), the image a blue/green bake runs, and the first
// deploy's template image.
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcrRepositoryPolicy } from '@cdktf/provider-aws/lib/ecr-repository-policy';
import { Construct } from 'constructs';
import type { Grantable } from '../lib/grants';
import { policyDocument } from '../lib/iam';
import { BAKING_TAG_PREFIX, isReleaseTag, RELEASED_TAG_PREFIX } from '../naming';

export interface ContainerRegistryProps {
  /** Repository names are `<namePrefix>/<service>`. */
  readonly namePrefix: string;
  /** One repository per service name. */
  readonly services: string[];
  /** Images kept per repository (older ones expire), not counting released or pinned ones, which this rule cannot expire. @default 30 */
  readonly keepImages?: number;
  /**
   * Released images kept per repository (at least 10): images a release tagged `released-<env>-<n>`,
   * the most recently pushed first. The running image and the rollback target are among the newest.
   * @default 50
   */
  readonly keepReleasedImages?: number;
  /** Tags whose images never expire, e.g. the first deploy's template image (config `imageTag`). @default [] */
  readonly pinnedTags?: string[];
  /** Days after which untagged images expire. @default 7 */
  readonly untaggedExpiryDays?: number;
  /** Terraform `prevent_destroy` on the repositories (production images). @default false */
  readonly preventDestroy?: boolean;
  /**
   * Per service, a role of ANOTHER account that may list the repository's images and tags
   * (ecr:DescribeImages only): the release role of the environment that promotes from this one.
   * @default {} (no repository policy)
   */
  readonly tagReaders?: Record<string, TagReader>;
}

/** A role in another account that reads a repository's tags (promotion evidence). */
export interface TagReader {
  /** The role's account: the policy's principal (the account root, so a role not created yet does not fail the policy). */
  readonly accountId: string;
  /** The role itself (`aws:PrincipalArn` must equal it). */
  readonly roleArn: string;
  /** Partition of the ARNs. */
  readonly partition: string;
}

export interface Repository {
  /** `<prefix>/<service>`. */
  readonly name: string;
  /** The repository's ARN (what `grantPull` grants on). */
  readonly arn: string;
  /** `<account>.dkr.ecr.<region>.amazonaws.com/<name>`: images are `<url>:<tag>` or `<url>@<digest>`. */
  readonly url: string;
}

/**
 * Pull images from one repository: the registry token (an account-wide call, no resource scoping)
 * and the layer and manifest reads on this repository only.
 */
export function grantPull(grantee: Grantable, repositoryArn: string): void {
  grantee.addToPolicy(
    { Sid: 'EcrAuth', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
    {
      Sid: 'PullImage',
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
      Resource: repositoryArn,
    },
  );
}

/** Baking images kept: the one baking, and leftovers whose tag could not be removed (older ones expire). */
const KEEP_BAKING_IMAGES = 10;

/**
 * The repositories' lifecycle policy. ECR applies rules by priority, and "an image that matches the
 * tagging requirements of a rule cannot be expired by a rule with a lower priority"; an image is expired
 * by one rule at most, and a tagPatternList selects images carrying ALL its patterns, so each kept
 * pattern gets a rule of its own
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/LifecyclePolicies.html, lifecycle_policy_parameters.html).
 * So: released images first (only the oldest beyond `keepReleasedImages` expire, by push time), then
 * baking ones (green while a blue/green bake runs: it serves production traffic), then each pinned tag (one image each: tags are immutable), then untagged ones by age, and last (`any` must
 * be last) the count of everything else — which can no longer reach a released or pinned image.
 */
export function lifecyclePolicy(props: Pick<ContainerRegistryProps, 'keepImages' | 'keepReleasedImages' | 'pinnedTags' | 'untaggedExpiryDays'>): { rules: object[] } {
  const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
  const keepImages = props.keepImages ?? 30;
  const keepReleased = props.keepReleasedImages ?? 50;
  if (!Number.isInteger(keepReleased) || keepReleased < 10) throw new Error(`ContainerRegistry: keepReleasedImages must be an integer of at least 10, got ${keepReleased}`);
  // A pinned tag that is itself a release tag is already kept (and two rules may not select the same tags).
  const pinned = [...new Set(props.pinnedTags ?? [])].filter((tag) => !isReleaseTag(tag));
  for (const tag of pinned) {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new Error(`ContainerRegistry: pinned tag "${tag}" is not an image tag`);
  }
  const rules = [
    {
      description: `Keep the last ${keepReleased} released images (released-<env>-<n>): the running one and the rollback target`,
      selection: { tagStatus: 'tagged', tagPatternList: [`${RELEASED_TAG_PREFIX}*`], countType: 'imageCountMoreThan', countNumber: keepReleased },
      action: { type: 'expire' },
    },
    {
      description: `Keep the last ${KEEP_BAKING_IMAGES} baking images (baking-<env>-<n>): green while a blue/green bake runs`,
      selection: { tagStatus: 'tagged', tagPatternList: [`${BAKING_TAG_PREFIX}*`], countType: 'imageCountMoreThan', countNumber: KEEP_BAKING_IMAGES },
      action: { type: 'expire' },
    },
    ...pinned.map((tag) => ({
      description: `Keep the image tagged ${tag} (the first deploy's template)`,
      selection: { tagStatus: 'tagged', tagPatternList: [tag], countType: 'imageCountMoreThan', countNumber: 1 },
      action: { type: 'expire' },
    })),
    {
      description: `Expire untagged images after ${untaggedExpiryDays} days`,
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: untaggedExpiryDays },
      action: { type: 'expire' },
    },
    {
      description: `Keep the last ${keepImages} images`,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keepImages },
      action: { type: 'expire' },
    },
  ];
  return { rules: rules.map((rule, i) => ({ rulePriority: i + 1, ...rule })) };
}

export class ContainerRegistry extends Construct {
  /** Repository of each service, by service name. */
  readonly repositories: Record<string, Repository> = {};

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    const lifecycle = JSON.stringify(lifecyclePolicy(props));
    for (const service of props.services) {
      const repository = new EcrRepository(this, service, {
        name: `${props.namePrefix}/${service}`,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: [{ encryptionType: 'KMS' }],
        forceDelete: false, // never delete a repository that still holds images
        lifecycle: { preventDestroy: props.preventDestroy ?? false },
      });
      new EcrLifecyclePolicy(this, `${service}-lifecycle`, { repository: repository.name, policy: lifecycle });
      const reader = props.tagReaders?.[service];
      if (reader) {
        new EcrRepositoryPolicy(this, `${service}-policy`, {
          repository: repository.name,
          policy: policyDocument({
            Sid: 'PromotionEvidence',
            Effect: 'Allow',
            // The account as principal, narrowed to one role by aws:PrincipalArn: ECR refuses a policy naming
            // a role ARN that does not exist (yet) as principal, and a recreated role keeps its access.
            Principal: { AWS: `arn:${reader.partition}:iam::${reader.accountId}:root` },
            Action: 'ecr:DescribeImages',
            Condition: { ArnEquals: { 'aws:PrincipalArn': reader.roleArn } },
          }),
        });
      }
      this.repositories[service] = { name: repository.name, arn: repository.arn, url: repository.repositoryUrl };
    }
  }

  /** Pull the images of one service's repository. */
  grantPull(grantee: Grantable, service: string): void {
    grantPull(grantee, this.repositories[service].arn);
  }
}
