// ECR repositories, one per service. Images are immutable and
// scanned; old ones expire so the registry does not grow forever.
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Construct } from 'constructs';
import type { Grantable } from '../lib/grants';

export interface ContainerRegistryProps {
  /** Repository names are `<namePrefix>/<service>`. */
  readonly namePrefix: string;
  /** One repository per service name. */
  readonly services: string[];
  /** Images kept per repository (older ones expire). @default 30 */
  readonly keepImages?: number;
  /** Days after which untagged images expire. @default 7 */
  readonly untaggedExpiryDays?: number;
  /** Terraform `prevent_destroy` on the repositories (production images). @default false */
  readonly preventDestroy?: boolean;
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

export class ContainerRegistry extends Construct {
  /** Repository of each service, by service name. */
  readonly repositories: Record<string, Repository> = {};

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    const untaggedExpiryDays = props.untaggedExpiryDays ?? 7;
    const keepImages = props.keepImages ?? 30;
    const lifecycle = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: `Expire untagged images after ${untaggedExpiryDays} days`,
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: untaggedExpiryDays },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: `Keep the last ${keepImages} images`,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keepImages },
          action: { type: 'expire' },
        },
      ],
    });
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
      this.repositories[service] = { name: repository.name, arn: repository.arn, url: repository.repositoryUrl };
    }
  }

  /** Pull the images of one service's repository. */
  grantPull(grantee: Grantable, service: string): void {
    grantPull(grantee, this.repositories[service].arn);
  }
}
