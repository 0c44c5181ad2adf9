// The release record of one service: an SSM String parameter holding
// `{"current": <release> | null, "previous": <release> | null}` as JSON, written by `npm run release`
// and read by `--rollback`. Terraform creates it empty and never touches its value again.
import { SsmParameter } from '@cdktf/provider-aws/lib/ssm-parameter';
import { Construct } from 'constructs';

/** The value of a service that was never released. */
export const EMPTY_RELEASE_RECORD = JSON.stringify({ current: null, previous: null });

export interface ReleaseRecordProps {
  /** Parameter name (`serviceNames(...).releaseParameter`). */
  readonly parameterName: string;
  /** The service's name, for the description. */
  readonly serviceName: string;
}

export class ReleaseRecord extends Construct {
  readonly parameterName: string;
  readonly arn: string;

  constructor(scope: Construct, id: string, props: ReleaseRecordProps) {
    super(scope, id);
    const parameter = new SsmParameter(this, 'parameter', {
      name: props.parameterName,
      type: 'String', // image references and dates only: nothing secret
      value: EMPTY_RELEASE_RECORD,
      description: `Current and previous release of ${props.serviceName} (written by npm run release)`,
      // Releases own the value from the first one on.
      lifecycle: { ignoreChanges: ['value', 'insecure_value'] },
    });
    this.parameterName = parameter.name;
    this.arn = parameter.arn;
  }
}
