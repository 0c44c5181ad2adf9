// The review of Terraform's plan JSON (`terraform show -json <saved plan>`), on fixtures written to
// Terraform's documented JSON output format.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reviewStacks } from '../src/review/plan-review';
import { STATEFUL_TYPES } from '../src/review/stateful-types';
import { parsePlanJson, PlanInputError, readPlanJsons } from '../src/review/terraform-plan';
import { formatPlanJson, formatPlanMarkdown, formatPlanText, reviewPlan, reviewPlans, SENSITIVE, UNKNOWN } from '../src/review/terraform-plan-review';
import { fixtures, run } from './fixtures/terraform-harness';

const load = (file: string) => parsePlanJson(readFileSync(join(fixtures, file), 'utf8'), file);
const stackReview = (file: string) => reviewPlan(file.replace('.json', ''), load(file));
const bad = join(__dirname, 'fixtures', 'bad-plans');

describe('plan review: actions', () => {
  it('create: counted, attributes listed, unknowns and data reads left out', () => {
    const review = stackReview('network-create.json');
    expect(review.counts).toEqual(expect.objectContaining({ create: 1, update: 0, delete: 0, replace: 0 }));
    expect(review.resources.map((r) => r.address)).toEqual(['aws_vpc.network_vpc_1A2B3C4D']); // no data.aws_availability_zones
    expect(review.resources[0].changes).toEqual(expect.arrayContaining([{ path: 'cidr_block', after: '10.10.0.0/16' }]));
    expect(review.resources[0].changes.map((c) => c.path)).not.toContain('id');
    expect(review.resources[0].changes.map((c) => c.path)).not.toContain('tags_all.Name');
  });

  it('update, move (previous_address), import (importing) and no-op', () => {
    const review = stackReview('data-changes.json');
    const byAddress = Object.fromEntries(review.resources.map((r) => [r.address, r]));
    expect(byAddress['aws_db_instance.database_primary_5F1E2D3C'].action).toBe('update');
    expect(byAddress['aws_cloudwatch_log_group.database_logs']).toEqual(expect.objectContaining({ action: 'move', previousAddress: 'aws_cloudwatch_log_group.postgres_logs' }));
    expect(byAddress['aws_ecr_repository.registry_api']).toEqual(expect.objectContaining({ action: 'import', importId: 'drf-api-dev/api' }));
    expect(byAddress['aws_db_subnet_group.unchanged']).toBeUndefined();
    expect(review.counts).toEqual(expect.objectContaining({ update: 1, move: 1, import: 1 }));
    expect(reviewPlans([{ stack: 'dev-data', plan: load('data-changes.json') }]).dangers).toEqual([]);
  });

  it('replace (delete-create) shows the paths forcing it and Terraform\'s reason; DANGER only for stored data', () => {
    const review = reviewPlans([{ stack: 'dev-app', plan: load('app-danger.json') }]);
    const [stack] = review.stacks;
    const taskDefinition = stack.resources.find((r) => r.type === 'aws_ecs_task_definition')!;
    expect(taskDefinition).toEqual(expect.objectContaining({ action: 'replace', replacePaths: ['container_definitions'], reason: 'replace_because_cannot_update' }));
    expect(taskDefinition.danger).toBeUndefined();
    expect(review.dangers).toEqual([
      { stack: 'dev-app', address: 'aws_ecr_repository.registry_worker', reason: expect.stringContaining('forced by name') },
      { stack: 'dev-app', address: 'aws_cloudwatch_log_group.old_service', reason: expect.stringContaining('no longer in the configuration') },
    ]);
    expect(stack.counts).toEqual(expect.objectContaining({ update: 1, delete: 2, replace: 2 }));
    expect(formatPlanText(review)).toMatch(/^DANGER dev-app aws_ecr_repository\.registry_worker/); // DANGER first
  });

  it('create-before-destroy replacement (["create","delete"]) of stateful data is a DANGER too', () => {
    const plan = load('app-danger.json');
    const cbd = { ...plan, resource_changes: plan.resource_changes!.map((rc) => ({ ...rc, change: { ...rc.change, actions: rc.change.actions.length === 2 ? ['create', 'delete'] : rc.change.actions } })) };
    expect(reviewPlans([{ stack: 'dev-app', plan: cbd }]).dangers.map((d) => d.address)).toContain('aws_ecr_repository.registry_worker');
  });
});

describe('plan review: values', () => {
  it('JSON in strings (container definitions, IAM policies) is diffed path by path', () => {
    const [stack] = reviewPlans([{ stack: 'dev-app', plan: load('app-danger.json') }]).stacks;
    const changes = stack.resources.flatMap((r) => r.changes);
    expect(changes).toEqual(
      expect.arrayContaining([
        { path: 'container_definitions[0].image', before: expect.stringMatching(/:aaaa$/), after: expect.stringMatching(/:bbbb$/) },
        { path: 'assume_role_policy.Statement[0].Condition.StringEquals["aws:SourceAccount"]', after: '111122223333' },
      ]),
    );
    expect(formatPlanText(reviewPlans([{ stack: 'dev-app', plan: load('app-danger.json') }]))).not.toContain('\\"');
  });

  it('unknown values show as (known after apply), in attributes and outputs', () => {
    const [stack] = reviewPlans([{ stack: 'dev-app', plan: load('app-danger.json') }]).stacks;
    expect(stack.resources.find((r) => r.type === 'aws_ecs_task_definition')!.changes).toEqual(expect.arrayContaining([{ path: 'revision', before: 7, after: UNKNOWN }]));
    expect(stack.outputs).toEqual([{ name: 'alb_dns_name', action: 'update', before: 'old.elb.amazonaws.com', after: UNKNOWN }]);
  });

  it('sensitive values are masked in the terminal, Markdown and JSON reports', () => {
    const review = reviewPlans([{ stack: 'dev-data', plan: load('data-changes.json') }]);
    const db = review.stacks[0].resources.find((r) => r.type === 'aws_db_instance')!;
    expect(db.changes).toEqual(expect.arrayContaining([{ path: 'password', before: SENSITIVE, after: SENSITIVE }]));
    expect(review.stacks[0].outputs).toEqual([{ name: 'master_secret_arn', action: 'update', before: SENSITIVE, after: SENSITIVE }]);
    for (const text of [formatPlanText(review), formatPlanMarkdown(review), formatPlanJson(review)]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('secret:old');
      expect(text).toContain(SENSITIVE);
    }
  });

  it('output changes are listed; no-op outputs are not', () => {
    expect(stackReview('network-create.json').outputs).toEqual([{ name: 'vpc_id', action: 'create', after: UNKNOWN }]);
    expect(stackReview('app-update.json').outputs).toEqual([]);
    expect(stackReview('empty.json')).toEqual(expect.objectContaining({ resources: [], outputs: [] }));
  });
});

describe('plan review: reports', () => {
  const review = reviewPlans(readPlanJsons(fixtures).map((p) => ({ ...p, stack: `dev-${p.stack}` })));

  it('Markdown: a summary line per stack (+n ~n -n ±n), DANGER before the details, details collapsed', () => {
    const md = formatPlanMarkdown(review, 'Terraform plan: dev');
    expect(md).toContain('| `dev-app-danger` | `+0 ~1 -2 ±2` |');
    expect(md).toContain('| `dev-empty` | no changes |');
    expect(md.indexOf('DANGER: stored data')).toBeLessThan(md.indexOf('<details>'));
    expect(md.match(/<details>/g)).toHaveLength(4); // every stack with changes, none for the empty one
  });

  it('text ends with a one-line verdict; JSON carries the same review', () => {
    expect(formatPlanText(review).trim().split('\n').at(-1)).toBe('4 of 5 stack(s) change: +1 ~3 -2 ±2 (1 moved, 1 imported); 2 DANGER.');
    const json = JSON.parse(formatPlanJson(review));
    expect(json.dangers).toHaveLength(2);
    expect(json.total).toEqual(expect.objectContaining({ create: 1, replace: 2 }));
    expect(formatPlanText(reviewPlans([{ stack: 'dev-network', plan: load('empty.json') }]))).toContain('No changes in 1 stack(s)');
  });
});

describe('bad input', () => {
  it('refuses a binary plan, state JSON and other JSON with a clear message', () => {
    expect(() => parsePlanJson(readFileSync(join(bad, 'binary.tfplan'), 'latin1'), 'binary.tfplan')).toThrow(/binary.tfplan: not JSON \(a binary saved plan\?/);
    expect(() => parsePlanJson(readFileSync(join(bad, 'state.json'), 'utf8'), 'state.json')).toThrow(/state.json: a state, not a plan/);
    expect(() => parsePlanJson(readFileSync(join(bad, 'not-terraform.json'), 'utf8'), 'x.json')).toThrow(PlanInputError);
    expect(() => parsePlanJson('{"format_version":"2.0","resource_changes":[]}', 'v2.json')).toThrow(/unsupported format_version 2.0/);
    expect(() => readPlanJsons('/nonexistent/plans')).toThrow(/no such file or directory/);
  });
});

describe('one list of stateful types for both review modes', () => {
  it('has the stores of data and identity', () => {
    for (const type of ['aws_db_instance', 'aws_rds_cluster', 'aws_s3_bucket', 'aws_ecr_repository', 'aws_secretsmanager_secret', 'aws_cloudwatch_log_group', 'aws_kms_key', 'aws_dynamodb_table', 'aws_efs_file_system', 'aws_route53_zone', 'aws_elasticache_replication_group', 'aws_elasticache_serverless_cache', 'aws_ssm_parameter']) {
      expect(STATEFUL_TYPES).toContain(type);
    }
  });

  it('the synthesized-JSON review flags a removed Route53 zone from the same list', () => {
    const stack = (resource: Record<string, unknown>) => ({ name: 'dev-app', dependencies: [], json: { resource } });
    const review = reviewStacks([stack({ aws_route53_zone: { zone: { name: 'dev.example.org' } } })], [stack({})]);
    expect(review.dangers).toEqual([expect.objectContaining({ address: 'aws_route53_zone.zone' })]);
  });
});

describe('npm run review -- --plan (scripts/review.ts)', () => {
  const out = () => mkdtempSync(join(tmpdir(), 'plan-review-'));

  it('exit 0 without DANGER, writing plan-review.md and plan-review.json', async () => {
    const dir = out();
    const result = await run('review', undefined, ['--plan', join(fixtures, 'app-update.json'), '--out', dir]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('aws_ecs_service.api_service');
    expect(readdirSync(dir).sort()).toEqual(['plan-review.json', 'plan-review.md']);
  });

  it('exit 1 on DANGER, 0 with --allow-destroy; a directory is reviewed as a set', async () => {
    expect((await run('review', undefined, ['--plan', fixtures, '--out', out()])).status).toBe(1);
    const allowed = await run('review', undefined, ['--plan', fixtures, '--out', out(), '--allow-destroy']);
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toContain('network-create: +1 ~0 -0 ±0');
  });

  it('exit 2 for unusable input, with a one-line message naming the file', async () => {
    for (const file of ['binary.tfplan', 'state.json', 'not-terraform.json']) {
      const result = await run('review', undefined, ['--plan', join(bad, file), '--out', out()]);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^review: .*${file.replace('.', '\\.')}.*\\n$`));
    }
    expect((await run('review', undefined, ['--plan', '/nonexistent', '--out', out()])).status).toBe(2);
    expect((await run('review', undefined, ['--bogus'])).status).toBe(2);
  });
});
