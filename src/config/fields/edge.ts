// Field schema of `edge`: the public load balancer's domain, certificate, WAF and access logs.
import { z } from 'zod';
import { checked, dnsName, int } from '../validators';

/** `arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<uuid>`; CloudFront (global) ACLs cannot attach to an ALB. */
export const WAF_WEB_ACL_ARN =
  /^arn:(aws|aws-us-gov|aws-cn):wafv2:([a-z0-9-]+):(\d{12}):regional\/webacl\/[A-Za-z0-9_-]{1,128}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const edgeSchema = z.strictObject({
  /** The service's public name, its hosted zone, and extra names on the certificate. Required unless `httpOnly`. */
  domain: z
    .strictObject({
      name: dnsName,
      /** Hosted zone the name lives in (e.g. "example.com"). */
      zone: dnsName,
      /** Create the zone rather than look up an existing one. @default false */
      createZone: z.boolean().default(false),
      /** Subject alternative names, inside the zone. @default [] */
      alternativeNames: z.array(dnsName).default([]),
    })
    .optional(),
  /** Serve plain HTTP with no certificate and no DNS. Only for throwaway environments; must be chosen explicitly. @default false */
  httpOnly: z.boolean().default(false),
  /** @default 60 */
  idleTimeoutSeconds: int(1, 4000).default(60),
  /** @default true */
  deletionProtection: z.boolean().default(true),
  /**
   * WAFv2 web ACL (regional, same account and region) to associate with the ALB, typically managed by
   * the account's security tooling (Firewall Manager). Required in production (README "WAF").
   */
  wafWebAclArn: checked((v) => WAF_WEB_ACL_ARN.test(v), 'a regional WAFv2 web ACL ARN ("arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>")').optional(),
  /** Production without a web ACL: only with this set, and a warning on every synth. @default false */
  allowProductionWithoutWaf: z.boolean().default(false),
  /** Days ALB access logs are kept. @default 90 */
  accessLogRetentionDays: int(1, 3653).default(90),
});
