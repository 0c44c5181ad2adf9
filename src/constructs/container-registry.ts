// ECR repositories, one per service (seed: "ECR: push the container"). Images are immutable and
// scanned; old ones expire so the registry does not grow forever.
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { Construct } from 'constructs';

export interface ContainerRegistryProps {
  /** Repository names are `<namePrefix>/<service>`. */
  readonly namePrefix: string;
  readonly services: string[];
  /** @default 30 */
  readonly keepImages?: number;
  /** @default 7 */
  readonly untaggedExpiryDays?: number;
  /** Terraform `prevent_destroy` on the repositories (production images). @default false */
  readonly preventDestroy?: boolean;
}

export interface Repository {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
}

export class ContainerRegistry extends Construct {
  /** Repository of each service, by service name. */
  readonly repositories: Record<string, Repository> = {};

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    const lifecycle = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: `Expire untagged images after ${props.untaggedExpiryDays ?? 7} days`,
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: props.untaggedExpiryDays ?? 7 },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: `Keep the last ${props.keepImages ?? 30} images`,
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: props.keepImages ?? 30 },
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
}
