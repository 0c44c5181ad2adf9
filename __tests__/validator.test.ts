import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadProviderSchema, validateStack } from '../src/validate/provider-schema';

// A hand-made schema in the format of `terraform providers schema -json`.
const schemaJson = {
  format_version: '1.0',
  provider_schemas: {
    'registry.terraform.io/hashicorp/aws': {
      resource_schemas: {
        aws_lb: {
          version: 0,
          block: {
            attributes: {
              id: { type: 'string', optional: true, computed: true },
              arn: { type: 'string', computed: true },
              name: { type: 'string', required: true },
              internal: { type: 'bool', optional: true },
              idle_timeout: { type: 'number', optional: true },
              subnets: { type: ['set', 'string'], optional: true },
              tags: { type: ['map', 'string'], optional: true },
              rules: { type: ['list', ['object', { port: 'number', cidr: 'string' }]], optional: true },
            },
            block_types: {
              access_logs: { nesting_mode: 'list', max_items: 1, block: { attributes: { bucket: { type: 'string', required: true } } } },
              subnet_mapping: { nesting_mode: 'set', min_items: 1, block: { attributes: { subnet_id: { type: 'string', required: true } } } },
            },
          },
        },
      },
      data_source_schemas: {
        aws_region: { version: 0, block: { attributes: { name: { type: 'string', computed: true } } } },
      },
    },
  },
};
const dir = mkdtempSync(join(tmpdir(), 'schema-'));
writeFileSync(join(dir, 'schema.json'), JSON.stringify(schemaJson));
writeFileSync(join(dir, 'schema.json.gz'), gzipSync(JSON.stringify(schemaJson)));
const schema = loadProviderSchema(join(dir, 'schema.json'));

const lb = (body: Record<string, unknown>) => ({ resource: { aws_lb: { alb: { name: 'x', subnet_mapping: [{ subnet_id: 's' }], ...body } } } });
const validate = (json: Record<string, unknown>) => validateStack('prod-app', json, schema);

describe('offline validation against a provider schema', () => {
  it('accepts a valid resource, Terraform expressions, meta-arguments and builtin data sources', () => {
    expect(
      validate({
        ...lb({ internal: false, idle_timeout: '${var.timeout}', subnets: ['a', '${aws_subnet.x.id}'], tags: { a: 'b' }, lifecycle: { prevent_destroy: true }, depends_on: ['x'], rules: [{ port: 80 }] }),
        data: { aws_region: { current: {} }, terraform_remote_state: { network: { backend: 's3', config: {} } } },
      }),
    ).toEqual([]);
  });

  it('reads gzip schemas too', () => {
    const gz = loadProviderSchema(join(dir, 'schema.json.gz'));
    expect(Object.keys(gz.resources)).toEqual(['aws_lb']);
  });

  it('unknown resource and data source types', () => {
    expect(validate({ resource: { aws_lbb: { alb: {} } }, data: { aws_regions: { r: {} } } })).toEqual([
      'prod-app: aws_lbb: unknown resource type',
      'prod-app: data.aws_regions: unknown data source type',
    ]);
  });

  it('unknown attributes, also inside blocks and object values', () => {
    expect(validate(lb({ drop_invalid_headers: true, access_logs: [{ bucket: 'b', prefixx: 'p' }], rules: [{ port: 1, cidr: 'c', protocol: 'tcp' }] }))).toEqual([
      'prod-app: aws_lb.alb.drop_invalid_headers: unknown attribute',
      'prod-app: aws_lb.alb.access_logs.prefixx: unknown attribute',
      'prod-app: aws_lb.alb.rules[0].protocol: unknown attribute',
    ]);
  });

  it('missing required attributes and blocks', () => {
    expect(validate({ resource: { aws_lb: { alb: { access_logs: [{}] } } } })).toEqual([
      'prod-app: aws_lb.alb.access_logs.bucket: missing required attribute',
      'prod-app: aws_lb.alb.name: missing required attribute',
      'prod-app: aws_lb.alb.subnet_mapping: missing required block (at least 1)',
    ]);
  });

  it('read-only (computed-only) attributes that are set', () => {
    expect(validate(lb({ arn: 'arn:aws:...' }))).toEqual(['prod-app: aws_lb.alb.arn: read-only attribute is set']);
  });

  it('too many blocks', () => {
    expect(validate(lb({ access_logs: [{ bucket: 'a' }, { bucket: 'b' }] }))).toEqual([
      'prod-app: aws_lb.alb.access_logs: 2 blocks given; at most 1 allowed',
    ]);
  });

  it('primitive and collection types', () => {
    expect(validate(lb({ internal: 'maybe', idle_timeout: 'sixty', subnets: 'subnet-1', tags: ['a'] }))).toEqual([
      'prod-app: aws_lb.alb.internal: expected bool, got string "maybe"',
      'prod-app: aws_lb.alb.idle_timeout: expected number, got string "sixty"',
      'prod-app: aws_lb.alb.subnets: expected set, got string "subnet-1"',
      'prod-app: aws_lb.alb.tags: expected map, got a list',
    ]);
  });

  it('dynamic blocks are checked against the block they generate', () => {
    expect(validate(lb({ dynamic: { access_logs: { for_each: '${x}', content: { bucket: 'b', nope: 1 } }, bogus: { for_each: '${x}', content: {} } } }))).toEqual([
      'prod-app: aws_lb.alb.dynamic.access_logs.nope: unknown attribute',
      'prod-app: aws_lb.alb.dynamic.bogus: unknown block',
    ]);
  });

  it('refuses a file that is not a provider schema', () => {
    writeFileSync(join(dir, 'other.json'), '{"resource": {}}');
    expect(() => loadProviderSchema(join(dir, 'other.json'))).toThrow('not a provider schema');
  });
});
