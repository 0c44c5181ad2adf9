// The base of every stack: the AWS provider with the environment's tags, and the state backend.
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { environmentPrefix, stateKeyAlias } from '../naming';

/** S3 lockfiles (`use_lockfile`) need Terraform 1.10 or later. */
export const REQUIRED_TERRAFORM_VERSION = '>= 1.10';

export interface EnvironmentStackProps {
  readonly config: EnvironmentConfig;
  /**
   * Where the state lives. `s3` is the environment's state bucket; `local` is only for the bootstrap
   * stack, which creates that bucket (a file under `state/`, outside `cdktf.out` so a clean synth keeps it).
   * @default "s3"
   */
  readonly backend?: 's3' | 'local';
}

/** A stack named `<env>-<component>` with its own state key `<env>/<component>.tfstate`. */
export class EnvironmentStack extends TerraformStack {
  readonly config: EnvironmentConfig;

  constructor(scope: Construct, component: string, props: EnvironmentStackProps) {
    const { config } = props;
    const stackName = `${config.name}-${component}`;
    super(scope, stackName);
    this.config = config;

    new AwsProvider(this, 'aws', {
      region: config.region,
      allowedAccountIds: config.allowedAccountIds,
      // A region newer than the provider's list passes validation only when the config says so.
      skipRegionValidation: config.allowUnknownRegion || undefined,
      defaultTags: [
        {
          tags: {
            environment: config.name,
            service: config.project.service,
            'managed-by': 'cdktf',
            repository: config.project.repository,
            stack: stackName,
          },
        },
      ],
    });

    if (props.backend === 'local') {
      // Relative to the stack's working directory, cdktf.out/stacks/<stack>/.
      new LocalBackend(this, { path: `../../../state/${stackName}.tfstate` });
    } else {
      new S3Backend(this, {
        bucket: config.state.bucket,
        key: `${config.name}/${component}.tfstate`,
        region: config.region,
        encrypt: true,
        // The state bucket's policy accepts only uploads encrypted with its own key (bootstrap stack).
        kmsKeyId: stateKeyAlias(config.project.service, config.name),
        skipRegionValidation: config.allowUnknownRegion || undefined,
      });
      // cdktf 0.21's S3Backend has no option for S3-native locking yet.
      this.addOverride('terraform.backend.s3.use_lockfile', true);
    }
    this.addOverride('terraform.required_version', REQUIRED_TERRAFORM_VERSION);
  }

  /** `<service>-<env>`: the prefix of every name this environment gives AWS. */
  get prefix(): string {
    return environmentPrefix(this.config.project.service, this.config.name);
  }
}
