// `<env>-bootstrap`: creates the bucket every other stack of the environment keeps its state in.
// It cannot store its own state there before the bucket exists, so it starts with local state
// (then, optionally, `state.bootstrapInBucket` moves it into the bucket: README).
import { TerraformOutput } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/load';
import { StateBucket } from '../constructs/state-bucket';
import { EnvironmentStack } from './environment-stack';

export class BootstrapStack extends EnvironmentStack {
  constructor(scope: Construct, config: EnvironmentConfig) {
    super(scope, 'bootstrap', { config, backend: config.state.bootstrapInBucket ? 's3' : 'local' });
    const bucket = new StateBucket(this, 'state', { bucketName: config.state.bucket });
    new TerraformOutput(this, 'state_bucket', { value: bucket.bucketName });
  }
}
