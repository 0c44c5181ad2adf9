// What an example value looks like: the reserved names, documentation address ranges and placeholder
// ids that the shipped configuration uses. Each one synthesizes, then fails or misroutes at apply
// time, so `npm run plan` and `npm run deploy` list them (warnings.ts), and production refuses
// documentation ranges where they would grant access (schema.ts).
import { contains, parseCidr, type Cidr } from './cidr';

/** RFC 5737 TEST-NET-1/2/3: addresses for documentation, never a real client. */
export const DOCUMENTATION_RANGES = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'];
const DOC_RANGES: Cidr[] = DOCUMENTATION_RANGES.map((r) => parseCidr(r)!);

/** The documentation range an IPv4 address or CIDR lies inside, if any. */
export function documentationRangeOf(text: string): string | undefined {
  const cidr = parseCidr(text.includes('/') ? text : `${text}/32`);
  if (!cidr) return undefined;
  return DOC_RANGES.find((range) => contains(range, cidr))?.text;
}

/** Account ids from documentation and tutorials: AWS's 123456789012 and repeated digits. */
export function isExampleAccountId(id: string): boolean {
  return /^\d{12}$/.test(id) && (id === '123456789012' || id === '012345678901' || /^(\d)\1{11}$/.test(id));
}

/** RFC 2606 reserved names: example.com/.net/.org and the .example, .test, .invalid TLDs. */
function isExampleDomain(host: string): boolean {
  return /(^|\.)example\.(com|net|org)$|\.(example|test|invalid)$/i.test(host);
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/i;

/**
 * Why `value` (found under the field `key`) is an example value, or undefined when it is not one.
 * Works on any string field, so fields added later are covered without a list to maintain.
 */
export function exampleReason(key: string, value: string): string | undefined {
  const email = /^[^@\s]+@([^@\s]+)$/.exec(value);
  if (email) return isExampleDomain(email[1]) ? 'is an example e-mail address: nobody receives mail there' : undefined;

  if (value.startsWith('arn:')) {
    const [, , , , account, ...resource] = value.split(':');
    if (account && isExampleAccountId(account)) return `is an ARN in the example account ${account}: it does not exist in yours`;
    if (/(^|[/:])example([-/_:]|$)/.test(resource.join(':'))) return 'is an example ARN: it names no resource of yours';
    return undefined;
  }
  if (/(^|\/)example-org(\/|$)|github\.com\/example\//.test(value)) return 'is an example repository: resources would be tagged with the wrong source';

  const url = /^[a-z][a-z0-9+.-]*:\/\/([^/:?#]+)/i.exec(value);
  const host = url ? url[1] : value;
  if (DNS_NAME.test(host) && isExampleDomain(host)) {
    return 'is an example domain (reserved, RFC 2606): DNS records and certificate validation fail at apply';
  }

  if (/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(value)) {
    const range = documentationRangeOf(value);
    return range ? `is inside the documentation range ${range} (RFC 5737): no real client has such an address` : undefined;
  }
  if (/^\d{12}$/.test(value)) return isExampleAccountId(value) ? 'is an example AWS account id: Terraform refuses your real account' : undefined;
  if (/bucket$/i.test(key) && /^example-/.test(value)) return 'is an example bucket name: S3 names are global, and another account may own it';
  return undefined;
}
