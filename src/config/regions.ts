// The AWS regions this project accepts: those AWS provider 6.25.0 knows (its region list comes from
// hashicorp/aws-sdk-go-base `endpoints`) in the commercial, GovCloud and China partitions. A region
// AWS opens later needs `allowUnknownRegion: true` (which warns on every synth) until this list and
// the provider are updated. ISO and European Sovereign Cloud partitions are not supported here.

/** The ARN partition a region belongs to. */
export type Partition = 'aws' | 'aws-us-gov' | 'aws-cn';

const COMMERCIAL = [
  'af-south-1', // Africa (Cape Town)
  'ap-east-1', // Asia Pacific (Hong Kong)
  'ap-east-2', // Asia Pacific (Taipei)
  'ap-northeast-1', // Asia Pacific (Tokyo)
  'ap-northeast-2', // Asia Pacific (Seoul)
  'ap-northeast-3', // Asia Pacific (Osaka)
  'ap-south-1', // Asia Pacific (Mumbai)
  'ap-south-2', // Asia Pacific (Hyderabad)
  'ap-southeast-1', // Asia Pacific (Singapore)
  'ap-southeast-2', // Asia Pacific (Sydney)
  'ap-southeast-3', // Asia Pacific (Jakarta)
  'ap-southeast-4', // Asia Pacific (Melbourne)
  'ap-southeast-5', // Asia Pacific (Malaysia)
  'ap-southeast-6', // Asia Pacific (New Zealand)
  'ap-southeast-7', // Asia Pacific (Thailand)
  'ca-central-1', // Canada (Central)
  'ca-west-1', // Canada West (Calgary)
  'eu-central-1', // Europe (Frankfurt)
  'eu-central-2', // Europe (Zurich)
  'eu-north-1', // Europe (Stockholm)
  'eu-south-1', // Europe (Milan)
  'eu-south-2', // Europe (Spain)
  'eu-west-1', // Europe (Ireland)
  'eu-west-2', // Europe (London)
  'eu-west-3', // Europe (Paris)
  'il-central-1', // Israel (Tel Aviv)
  'me-central-1', // Middle East (UAE)
  'me-south-1', // Middle East (Bahrain)
  'mx-central-1', // Mexico (Central)
  'sa-east-1', // South America (Sao Paulo)
  'us-east-1', // US East (N. Virginia)
  'us-east-2', // US East (Ohio)
  'us-west-1', // US West (N. California)
  'us-west-2', // US West (Oregon)
] as const;

const GOVCLOUD = ['us-gov-east-1', 'us-gov-west-1'] as const;
const CHINA = ['cn-north-1', 'cn-northwest-1'] as const;

/** Every region AWS provider 6.25.0 knows in the supported partitions, with its partition. */
export const AWS_REGIONS: ReadonlyMap<string, Partition> = new Map<string, Partition>([
  ...COMMERCIAL.map((r) => [r, 'aws'] as const),
  ...GOVCLOUD.map((r) => [r, 'aws-us-gov'] as const),
  ...CHINA.map((r) => [r, 'aws-cn'] as const),
]);

export function isKnownRegion(region: string): boolean {
  return AWS_REGIONS.has(region);
}

/** The ARN partition of `region`; `aws` for a region this list does not know yet. */
export function partitionOf(region: string): Partition {
  return AWS_REGIONS.get(region) ?? (region.startsWith('us-gov-') ? 'aws-us-gov' : region.startsWith('cn-') ? 'aws-cn' : 'aws');
}
