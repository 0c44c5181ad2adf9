// CustomerKey: the one customer-managed KMS key construct (app, data, flow-log and state keys).
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { Testing } from 'cdktf';
import { CustomerKey, type CustomerKeyProps } from '../src/constructs/customer-key';
import type { Statement } from '../src/lib/iam';
import { resourcesIn, synthOf, type Json } from './helpers';

const base: CustomerKeyProps = { alias: 'svc-prod/data', description: 'd', accountId: '111122223333', region: 'ap-northeast-1', partition: 'aws' };
const synthKey = (props: Partial<CustomerKeyProps> = {}, then?: (key: CustomerKey) => void) =>
  Testing.synthScope((scope) => {
    const key = new CustomerKey(scope, 'k', { ...base, ...props });
    then?.(key);
  });
const statementsOf = (synthesized: string): Json[] => JSON.parse(resourcesIn(synthesized, 'aws_kms_key')[0].policy).Statement;

describe('CustomerKey', () => {
  it('rotates, waits 30 days before deletion and may be destroyed by default; its alias gets the alias/ prefix once', () => {
    const synthesized = synthKey();
    expect(synthesized).toHaveResourceWithProperties(KmsKey, { enable_key_rotation: true, deletion_window_in_days: 30, lifecycle: { prevent_destroy: false } });
    expect(synthesized).toHaveResourceWithProperties(KmsAlias, { name: 'alias/svc-prod/data' });
    expect(synthKey({ alias: 'alias/svc-prod-tfstate' })).toHaveResourceWithProperties(KmsAlias, { name: 'alias/svc-prod-tfstate' });
    expect(resourcesIn(synthesized, 'aws_kms_key')[0].tags).toBeUndefined();
  });

  it('takes rotation, deletion window, prevent_destroy and tags from its props', () => {
    expect(synthKey({ enableKeyRotation: false, deletionWindowDays: 7, preventDestroy: true, tags: { Name: 'n' } })).toHaveResourceWithProperties(KmsKey, {
      enable_key_rotation: false,
      deletion_window_in_days: 7,
      lifecycle: { prevent_destroy: true },
      tags: { Name: 'n' },
    });
    expect(() => synthKey({ deletionWindowDays: 31 })).toThrow('deletionWindowDays must be 7-30, got 31');
  });

  it('is administered by the account root in the given partition, and by nothing else without props', () => {
    expect(statementsOf(synthKey({ region: 'us-gov-west-1', partition: 'aws-us-gov' }))).toEqual([
      { Sid: 'AccountAdministersThroughIam', Effect: 'Allow', Principal: { AWS: 'arn:aws-us-gov:iam::111122223333:root' }, Action: 'kms:*', Resource: '*' },
    ]);
  });

  it('lets CloudWatch Logs use it for the named log groups only (encryption context)', () => {
    expect(statementsOf(synthKey({ logGroupNames: ['/ecs/svc-prod/*', '/vpc/x'] }))[1]).toEqual({
      Sid: 'CloudWatchLogsForTheseLogGroups',
      Effect: 'Allow',
      Principal: { Service: 'logs.ap-northeast-1.amazonaws.com' },
      Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      Resource: '*',
      Condition: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': ['arn:aws:logs:ap-northeast-1:111122223333:log-group:/ecs/svc-prod/*', 'arn:aws:logs:ap-northeast-1:111122223333:log-group:/vpc/x'] },
      },
    });
  });

  it('lets services use it on behalf of this account only (kms:ViaService, kms:CallerAccount)', () => {
    expect(statementsOf(synthKey({ viaServices: ['rds', 'secretsmanager'] }))[1]).toEqual(
      expect.objectContaining({
        Sid: 'ServicesOnBehalfOfThisAccount',
        Principal: { AWS: '*' },
        Action: expect.arrayContaining(['kms:CreateGrant', 'kms:Decrypt*']),
        Condition: { StringEquals: { 'kms:CallerAccount': '111122223333', 'kms:ViaService': ['rds.ap-northeast-1.amazonaws.com', 'secretsmanager.ap-northeast-1.amazonaws.com'] } },
      }),
    );
  });

  it('lets service principals use it for this account\'s resources only (aws:SourceAccount)', () => {
    const servicePrincipals = [{ sid: 'Alarms', service: 'cloudwatch.amazonaws.com', actions: ['kms:Decrypt', 'kms:GenerateDataKey*'] }];
    expect(statementsOf(synthKey({ servicePrincipals }))[1]).toEqual({
      Sid: 'Alarms',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
    });
  });

  it('denies data operations to everyone outside usableOnlyBy, and refuses an empty list', () => {
    expect(statementsOf(synthKey({ usableOnlyBy: ['arn:aws:iam::111122223333:role/a'] }))[1]).toEqual({
      Sid: 'DenyUseByOtherPrincipals',
      Effect: 'Deny',
      Principal: '*',
      Action: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      Resource: '*',
      Condition: { ArnNotLike: { 'aws:PrincipalArn': ['arn:aws:iam::111122223333:role/a'] } },
    });
    expect(() => synthKey({ usableOnlyBy: [] })).toThrow('usableOnlyBy is empty');
    expect(statementsOf(synthKey({ usableOnlyBy: ['arn:aws:iam::111122223333:role/a'], usableOnlyBySid: 'DenyUseOutsideStateRoles' }))[1].Sid).toBe('DenyUseOutsideStateRoles');
  });

  it('refuses usableOnlyBy together with services, which its deny would lock out', () => {
    const usableOnlyBy = ['arn:aws:iam::111122223333:role/a'];
    expect(() => synthKey({ usableOnlyBy, logGroupNames: ['/ecs/x'] })).toThrow('usableOnlyBy cannot be combined with logGroupNames: its deny would also refuse those services');
    expect(() => synthKey({ usableOnlyBy, viaServices: ['rds'], servicePrincipals: [{ sid: 'A', service: 'cloudwatch.amazonaws.com', actions: ['kms:Decrypt'] }] })).toThrow(
      'usableOnlyBy cannot be combined with viaServices, servicePrincipals',
    );
  });

  it('adds statements given after construction to the key policy', () => {
    const extra: Statement = { Sid: 'Extra', Effect: 'Allow', Principal: { Service: 'sns.amazonaws.com' }, Action: 'kms:Decrypt', Resource: '*' };
    expect(statementsOf(synthKey({}, (key) => key.addToResourcePolicy(extra))).map((s) => s.Sid)).toEqual(['AccountAdministersThroughIam', 'Extra']);
  });

  it('grants envelope encryption (GenerateDataKey, Decrypt) or decryption on the key only, and names its alias by ARN', () => {
    const statements: Statement[] = [];
    let key: CustomerKey | undefined;
    synthKey({}, (k) => {
      key = k;
      k.grantEncryptDecrypt({ addToPolicy: (...added) => void statements.push(...added) }, 'StateKey');
      k.grantDecrypt({ addToPolicy: (...added) => void statements.push(...added) });
    });
    expect(statements).toEqual([
      { Sid: 'StateKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: key!.arn },
      { Sid: 'Decrypt', Effect: 'Allow', Action: 'kms:Decrypt', Resource: key!.arn },
    ]);
    expect(key!.aliasArn).toBe('arn:aws:kms:ap-northeast-1:111122223333:alias/svc-prod/data');
  });
});

describe('the environment keys keep their resource addresses (no key is replaced)', () => {
  it.each([
    ['network', 'flow-log-key_7F5866A1', 'flow-log-key_alias_D8A50112'],
    ['data', 'data-key_5D719C34', 'data-key_alias_22743A5D'],
    ['app', 'key_F64E54E4', 'key_alias_9418169B'],
    ['bootstrap', 'state-key_753BFC90', 'state-key_alias_63E2A9D5'],
  ] as const)('%s: %s', (stack, key, alias) => {
    const json = JSON.parse(synthOf('prod', stack));
    expect(Object.keys(json.resource.aws_kms_key)).toEqual([key]);
    expect(Object.keys(json.resource.aws_kms_alias)).toEqual([alias]);
  });
});
