// An ACM certificate validated by DNS in Route53. The validation
// resource makes dependents (the HTTPS listener) wait until the certificate is issued.
import { AcmCertificate } from '@cdktf/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktf/provider-aws/lib/acm-certificate-validation';
import { DataAwsRoute53Zone } from '@cdktf/provider-aws/lib/data-aws-route53-zone';
import { Route53Record } from '@cdktf/provider-aws/lib/route53-record';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { TerraformIterator, Token } from 'cdktf';
import { Construct } from 'constructs';

export interface DnsValidatedCertificateProps {
  /** The certificate's main name, e.g. `api.example.com`. */
  readonly domainName: string;
  /** @default [] */
  readonly alternativeNames?: string[];
  /** The public hosted zone the names live in. */
  readonly zoneName: string;
  /** Create the zone instead of looking up an existing one. @default false */
  readonly createZone?: boolean;
}

export class DnsValidatedCertificate extends Construct {
  /** ARN of the certificate, available only once it is issued. */
  readonly certificateArn: string;
  readonly zoneId: string;
  /** Name servers to delegate to, when the zone was created here. */
  readonly nameServers?: string[];

  constructor(scope: Construct, id: string, props: DnsValidatedCertificateProps) {
    super(scope, id);
    let zoneId: string;
    if (props.createZone) {
      const zone = new Route53Zone(this, 'zone', { name: props.zoneName });
      zoneId = zone.zoneId;
      this.nameServers = zone.nameServers;
    } else {
      zoneId = new DataAwsRoute53Zone(this, 'zone', { name: props.zoneName, privateZone: false }).zoneId;
    }

    const certificate = new AcmCertificate(this, 'certificate', {
      domainName: props.domainName,
      subjectAlternativeNames: props.alternativeNames?.length ? props.alternativeNames : undefined,
      validationMethod: 'DNS',
      // A renamed certificate is replaced without a window where the listener has none.
      lifecycle: { createBeforeDestroy: true },
      tags: { Name: props.domainName },
    });

    // Validation options are known only at apply time: iterate them with for_each, keyed by domain.
    const options = TerraformIterator.fromComplexList(certificate.domainValidationOptions, 'domain_name');
    const records = new Route53Record(this, 'validation', {
      forEach: options,
      zoneId,
      name: options.getString('resource_record_name'),
      type: options.getString('resource_record_type'),
      records: [options.getString('resource_record_value')],
      ttl: 60,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, 'validated', {
      certificateArn: certificate.arn,
      validationRecordFqdns: Token.asList(TerraformIterator.fromResources(records).pluckProperty('fqdn')),
    });

    this.certificateArn = validation.certificateArn;
    this.zoneId = zoneId;
  }
}
