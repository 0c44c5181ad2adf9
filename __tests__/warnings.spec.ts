import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { environments, project } from '../src/config/environments';
import { loadConfig } from '../src/config/load';
import { configWarnings } from '../src/config/warnings';
import { configFor } from './helpers';

const shipped = () => loadConfig(project, environments);

describe('the shipped configuration', () => {
  it('has no safeguard switched off: synth prints no warning', () => {
    expect(configWarnings(shipped(), { examples: false })).toEqual([]);
  });

  it('lists every example value for plan and deploy, one line per field', () => {
    const lines = configWarnings(shipped(), { examples: true });
    expect(lines).toEqual(
      expect.arrayContaining([
        'warning: dev.state.bucket: "example-drf-api-tfstate-dev" is an example bucket name: S3 names are global, and another account may own it',
        'warning: dev.edge.domain.name: "api.dev.example.com" is an example domain (reserved, RFC 2606): DNS records and certificate validation fail at apply',
        'warning: dev.edge.domain.zone: "dev.example.com" is an example domain (reserved, RFC 2606): DNS records and certificate validation fail at apply',
        'warning: staging.state.bucket: "example-drf-api-tfstate-staging" is an example bucket name: S3 names are global, and another account may own it',
        'warning: prod.allowedAccountIds.0: "123456789012" is an example AWS account id: Terraform refuses your real account',
        'warning: prod.edge.domain.alternativeNames.0: "www.api.example.com" is an example domain (reserved, RFC 2606): DNS records and certificate validation fail at apply',
        'warning: prod.edge.wafWebAclArn: "arn:aws:wafv2:ap-northeast-1:123456789012:regional/webacl/example/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" is an ARN in the example account 123456789012: it does not exist in yours',
        'warning: prod.alarms.emails.0: "oncall@example.com" is an example e-mail address: nobody receives mail there',
        'warning: project.repository: "github.com/example-org/drf-service-infra" is an example repository: resources would be tagged with the wrong source',
      ]),
    );
    expect(lines.every((line) => /^warning: [a-z][a-z0-9-]*\.[A-Za-z0-9.]+: ".*" .+/.test(line))).toBe(true);
    // Nothing real is listed: the VPN range, the settings module, the VPC CIDRs.
    expect(lines.filter((line) => /10\.200\.0\.0|config\.settings|vpcCidr|subnet/.test(line))).toEqual([]);
  });
});

describe('example values', () => {
  const warningsFor = (env: string, overrides: Parameters<typeof configFor>[1]) =>
    configWarnings([configFor(env, overrides)], { examples: true }).filter((line) => !line.startsWith('warning: project.'));

  it.each([
    ['192.0.2.0/24', 'TEST-NET-1'],
    ['198.51.100.128/25', 'TEST-NET-2'],
    ['203.0.113.7/32', 'TEST-NET-3'],
  ])('a documentation range in an allowed-CIDR list outside production: %s (%s)', (cidr) => {
    const lines = warningsFor('dev', { services: [{ ...environments.dev.services[0], deployment: { strategy: 'blueGreen', blueGreen: { testListenerCidrs: [cidr] } } }] });
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^warning: dev\\.services\\.0\\.deployment\\.blueGreen\\.testListenerCidrs\\.0: "${cidr.replace(/\./g, '\\.')}" is inside the documentation range`)));
  });

  it('finds example values in any field: e-mail addresses of example.org/.net, URLs, ARNs of example accounts', () => {
    const lines = warningsFor('dev', {
      alarms: { emails: ['ops@example.net', 'team@mycompany.co.jp'] },
      services: [
        {
          ...environments.dev.services[0],
          container: {
            environment: { ALLOWED_HOSTS: 'api.example.org', CALLBACK: 'https://hooks.example.com/x', SETTINGS: 'config.settings.dev' },
            secrets: { API_KEY: 'arn:aws:secretsmanager:ap-northeast-1:111111111111:secret:api-key-AbCdEf' },
          },
        },
      ],
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^warning: dev\.alarms\.emails\.0: "ops@example\.net" is an example e-mail address/),
        expect.stringMatching(/^warning: dev\.services\.0\.container\.environment\.ALLOWED_HOSTS: "api\.example\.org" is an example domain/),
        expect.stringMatching(/^warning: dev\.services\.0\.container\.environment\.CALLBACK: "https:\/\/hooks\.example\.com\/x" is an example domain/),
        expect.stringMatching(/^warning: dev\.services\.0\.container\.secrets\.API_KEY: ".*" is an ARN in the example account 111111111111/),
      ]),
    );
    expect(lines.filter((l) => /mycompany|SETTINGS/.test(l))).toEqual([]);
  });

  it('real values give no example warning', () => {
    const lines = warningsFor('prod', {
      allowedAccountIds: ['481516234200'],
      state: { bucket: 'acme-drf-api-tfstate-prod', adminRoleArns: ['arn:aws:iam::481516234200:role/platform-admin'] },
      edge: {
        domain: { name: 'api.acme.co.jp', zone: 'acme.co.jp', alternativeNames: [] },
        wafWebAclArn: 'arn:aws:wafv2:ap-northeast-1:481516234200:regional/webacl/fms-edge/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      },
      alarms: { emails: ['oncall@acme.co.jp'] },
    });
    // Only the fields replaced here: others may hold examples of their own (e.g. role ARNs).
    expect(lines.filter((line) => /^warning: prod\.(allowedAccountIds|state\.bucket|edge|alarms)\./.test(line))).toEqual([]);
  });
});

describe('switched-off safeguards warn on every synth (examples or not)', () => {
  it('production without deletion protection', () => {
    const config = configFor('prod', { database: { deletionProtection: false, allowProductionWithoutDeletionProtection: true } });
    expect(configWarnings([config], { examples: false })).toEqual([
      'warning: prod.database.allowProductionWithoutDeletionProtection: is true: production database may run without deletion protection: one mistaken destroy deletes it',
    ]);
  });

  it('production without WAF', () => {
    const config = configFor('prod', { edge: { wafWebAclArn: undefined, allowProductionWithoutWaf: true } });
    expect(configWarnings([config], { examples: false })).toEqual([
      'warning: prod.edge.allowProductionWithoutWaf: is true: production load balancer has no WAF web ACL: nothing filters common exploits or floods before the app',
    ]);
  });

  it('escape hatches outside production change nothing and stay quiet', () => {
    const config = configFor('dev', { database: { allowProductionWithoutDeletionProtection: true }, edge: { allowProductionWithoutWaf: true } });
    expect(configWarnings([config], { examples: false })).toEqual([]);
  });

  it('a region the provider does not know yet', () => {
    const config = configFor('dev', { region: 'xx-nowhere-1', availabilityZones: ['xx-nowhere-1a', 'xx-nowhere-1b'], allowUnknownRegion: true });
    expect(configWarnings([config], { examples: false })).toEqual([
      'warning: dev.allowUnknownRegion: is true: region "xx-nowhere-1" is not one AWS provider 6.25 knows; check its spelling, and list it in src/config/regions.ts once the provider does',
    ]);
  });

  it('a region escape that is not needed', () => {
    expect(configWarnings([configFor('dev', { allowUnknownRegion: true })], { examples: false })).toEqual([
      'warning: dev.allowUnknownRegion: is true, but "ap-northeast-1" is a known region: remove it',
    ]);
  });

  it('an environment named like production that says it is not one', () => {
    const [live] = loadConfig(project, { live: { ...environments.staging, production: false } });
    expect(configWarnings([live], { examples: false })).toEqual([
      'warning: live.production: is false, but "live" names a production environment: none of production\'s safeguards apply',
    ]);
  });
});

describe('synth (main.ts) prints warnings on stderr', () => {
  const root = join(__dirname, '..');

  // That main.ts lists the example values with CONFIG_WARN_EXAMPLES=1 (and stays quiet without it) is
  // checked by cli.spec.ts's synth processes, which start main.ts as npm does.
  it('npm run deploy asks for them', () => {
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.deploy).toMatch(/(^| )CONFIG_WARN_EXAMPLES=1 .*cdktf deploy/);
  });
});
