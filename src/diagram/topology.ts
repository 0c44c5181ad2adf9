// An environment's topology read from its synthesized Terraform JSON (like Terraform would see it,
// not from construct internals): network tiers per AZ, NAT, endpoints, ALB, services (web and worker),
// databases, caches, schedules, and the traffic its security-group rules allow.
import type { SynthesizedStack } from '../synth-output';

type Json = Record<string, any>;

export interface Subnet {
  readonly tier: string;
  readonly az: string;
  readonly cidr: string;
}

export interface Service {
  readonly id: string;
  readonly name: string;
  readonly capacity: string;
  readonly release: 'rolling' | 'blue/green';
  /** `web` when the ECS service has a load balancer block; `worker` (no HTTP traffic) otherwise. */
  readonly kind: 'web' | 'worker';
}

/** An EventBridge Scheduler schedule that runs a task of a service's family. */
export interface Schedule {
  readonly id: string;
  readonly name: string;
  /** Expression, time zone and (when off) `disabled`, one per line. */
  readonly label: string;
  /** The command override, as the container receives it. */
  readonly command: string;
  /** Id of the service whose task definition family it runs; undefined when no service of the stack has it. */
  readonly service?: string;
}

export interface Flow {
  readonly from: string;
  readonly to: string;
  readonly ports: string;
}

export interface Topology {
  readonly environment: string;
  readonly vpcCidr?: string;
  readonly subnets: Subnet[];
  /** AZs that hold a NAT gateway. */
  readonly natAzs: string[];
  /** Short service names of the VPC endpoints (s3, ecr.api, ...). */
  readonly endpoints: string[];
  readonly loadBalancer?: { readonly id: string; readonly label: string };
  readonly services: Service[];
  readonly databases: Array<{ readonly id: string; readonly label: string }>;
  /** ElastiCache replication groups (data tier). */
  readonly caches: Array<{ readonly id: string; readonly label: string }>;
  readonly schedules: Schedule[];
  /** Allowed traffic between nodes (`internet`, `alb`, service, database and cache ids, or a CIDR). */
  readonly flows: Flow[];
}

/** The security group a reference points at, local (`${aws_security_group.x.id}`) or from another stack's remote state. */
export function securityGroupKey(reference: unknown): string | undefined {
  const match = /aws_security_group\.?([A-Za-z0-9_-]+?)\.?id\}/.exec(String(reference));
  return match?.[1];
}

const resources = (stack: SynthesizedStack | undefined, type: string): Array<[string, Json]> =>
  Object.entries(((stack?.json.resource as Json | undefined)?.[type] ?? {}) as Record<string, Json>);

export function topologyOf(environment: string, stacks: SynthesizedStack[]): Topology {
  const stack = (component: string) => stacks.find((s) => s.name === `${environment}-${component}`);
  const network = stack('network');
  const data = stack('data');
  const app = stack('app');

  const vpcCidr = resources(network, 'aws_vpc')[0]?.[1].cidr_block as string | undefined;
  const subnets = resources(network, 'aws_subnet').map(([, s]) => ({ tier: s.tags?.tier as string, az: s.availability_zone as string, cidr: s.cidr_block as string }));
  const natAzs = resources(network, 'aws_nat_gateway').map(([, nat]) => {
    const subnetName = /aws_subnet\.([^.]+)\./.exec(String(nat.subnet_id))?.[1];
    const subnet = resources(network, 'aws_subnet').find(([name]) => name === subnetName)?.[1];
    return String(subnet?.availability_zone ?? '?');
  });
  const endpoints = resources(network, 'aws_vpc_endpoint').map(([, e]) => String(e.service_name).split('.').slice(3).join('.'));

  // Which node each security group belongs to.
  const owners = new Map<string, string[]>();
  const own = (sg: unknown, node: string) => {
    const key = securityGroupKey(sg);
    if (key) owners.set(key, [...(owners.get(key) ?? []), node]);
  };

  const alb = resources(app, 'aws_lb')[0]?.[1];
  const loadBalancer = alb ? { id: 'alb', label: `ALB ${alb.name}${alb.ip_address_type === 'dualstack' ? ' (dual-stack)' : ''}` } : undefined;
  for (const sg of alb?.security_groups ?? []) own(sg, 'alb');

  const capacityOf = (svc: Json) => String(svc.capacity_provider_strategy?.[0]?.capacity_provider ?? 'ECS').replace(/^\$\{.*\}$/, 'EC2');
  const instanceSgs = resources(app, 'aws_launch_template').flatMap(([, lt]) => (lt.vpc_security_group_ids ?? []) as string[]);
  const services = resources(app, 'aws_ecs_service').map(([resource, svc]) => {
    const id = `svc_${svc.name}`;
    const groups: string[] = svc.network_configuration?.security_groups ?? instanceSgs;
    for (const sg of groups) own(sg, id);
    const family = /\$\{aws_ecs_task_definition\.([^.]+)\./.exec(String(svc.task_definition))?.[1];
    const task = resources(app, 'aws_ecs_task_definition').find(([n]) => n === family)?.[1];
    const blueGreen = svc.deployment_configuration?.strategy === 'BLUE_GREEN' || svc.deployment_controller?.type === 'CODE_DEPLOY';
    const release: Service['release'] = blueGreen ? 'blue/green' : 'rolling';
    const kind: Service['kind'] = svc.load_balancer ? 'web' : 'worker';
    return { id, name: String(svc.name), capacity: `${capacityOf(svc)}${task ? `, ${task.cpu} CPU / ${task.memory} MiB` : ''}`, release, kind, family: task?.family as string | undefined, resource };
  });

  const databases = resources(data, 'aws_db_instance').map(([, db]) => {
    const id = `db_${String(db.identifier).replace(/[^A-Za-z0-9]/g, '_')}`;
    for (const sg of db.vpc_security_group_ids ?? []) own(sg, id);
    const role = db.replicate_source_db ? 'read replica' : `PostgreSQL ${db.engine_version}${db.multi_az ? ', Multi-AZ' : ''}`;
    return { id, label: `${db.identifier}\n${role}\n${db.instance_class}` };
  });

  const caches = resources(data, 'aws_elasticache_replication_group').map(([, rg]) => {
    const id = `cache_${String(rg.replication_group_id).replace(/[^A-Za-z0-9]/g, '_')}`;
    for (const sg of rg.security_group_ids ?? []) own(sg, id);
    const nodes = Number(rg.num_cache_clusters ?? 1);
    const layout = nodes > 1 ? `primary + ${nodes - 1} replica${nodes > 2 ? 's' : ''}${rg.multi_az_enabled ? ', Multi-AZ' : ''}` : 'single node';
    return { id, label: `${rg.replication_group_id}\nElastiCache ${rg.engine} ${rg.engine_version}\n${rg.node_type}, ${layout}` };
  });

  // Schedules run a family (task_definition_arn `…:task-definition/<family>[:<revision>]`, or a reference
  // to a task definition resource): the service whose task definition has that family. A schedule created
  // on what a service runs references that service's own task_definition: that service.
  const schedules: Schedule[] = resources(app, 'aws_scheduler_schedule').map(([, sc]) => {
    const target = (sc.target ?? {}) as Json;
    const arn = String(target.ecs_parameters?.task_definition_arn ?? '');
    const runBy = /^\$\{aws_ecs_service\.([^.]+)\.task_definition\}$/.exec(arn)?.[1];
    const referenced = /\$\{aws_ecs_task_definition\.([^.]+)\./.exec(arn)?.[1];
    const family = referenced
      ? (resources(app, 'aws_ecs_task_definition').find(([n]) => n === referenced)?.[1].family as string | undefined)
      : /task-definition\/([^:/]+)(:\d+)?$/.exec(arn)?.[1];
    const service = services.find((svc) => (runBy !== undefined ? svc.resource === runBy : family !== undefined && svc.family === family))?.id;
    let command = '';
    try {
      const overrides = JSON.parse(String(target.input ?? '{}')).containerOverrides as Array<{ command?: string[] }> | undefined;
      command = (overrides?.find((o) => o.command)?.command ?? []).join(' ');
    } catch {
      // An input that is not JSON overrides nothing we can show.
    }
    const timezone = sc.schedule_expression_timezone ?? 'UTC';
    const label = [sc.schedule_expression, timezone, ...(sc.state === 'DISABLED' ? ['disabled'] : [])].join('\n');
    return { id: `sched_${String(sc.name).replace(/[^A-Za-z0-9]/g, '_')}`, name: String(sc.name), label, command, service };
  });

  // Traffic: every ingress rule, from its source (CIDR or group) to the owners of its group.
  const flows: Flow[] = [];
  // (A cache's client group is joined by the services that use it: their edges to the cache come from here.)
  for (const [, rule] of [...resources(network, 'aws_vpc_security_group_ingress_rule'), ...resources(data, 'aws_vpc_security_group_ingress_rule'), ...resources(app, 'aws_vpc_security_group_ingress_rule')]) {
    const targets = owners.get(securityGroupKey(rule.security_group_id) ?? '') ?? [];
    const cidr = rule.cidr_ipv4 ?? rule.cidr_ipv6;
    const sources = cidr
      ? [cidr === '0.0.0.0/0' || cidr === '::/0' ? 'internet' : String(cidr).includes('${') ? 'vpc' : String(cidr)]
      : (owners.get(securityGroupKey(rule.referenced_security_group_id) ?? '') ?? []);
    const ports = rule.from_port === rule.to_port ? `:${rule.from_port}` : `:${rule.from_port}-${rule.to_port}`;
    for (const from of sources) for (const to of targets) if (from !== to) flows.push({ from, to, ports });
  }
  // Blue/green test traffic: a listener rule matched by a header (and, when set, source ranges).
  if (loadBalancer) {
    for (const [, rule] of resources(app, 'aws_lb_listener_rule')) {
      const conditions = (rule.condition ?? []) as Json[];
      const header = conditions.find((c) => c.http_header)?.http_header;
      if (!header) continue;
      const sources = (conditions.find((c) => c.source_ip)?.source_ip?.values as string[] | undefined) ?? ['internet'];
      for (const from of sources) flows.push({ from, to: 'alb', ports: `:443 ${header.http_header_name}` });
    }
  }
  return {
    environment,
    vpcCidr,
    subnets,
    natAzs,
    endpoints,
    loadBalancer,
    services: services.map(({ family: _family, resource: _resource, ...service }) => service),
    databases,
    caches,
    schedules,
    flows: mergeFlows(flows),
  };
}

/** One flow per (from, to), ports joined: IPv4 and IPv6 rules for the same port collapse. */
function mergeFlows(flows: Flow[]): Flow[] {
  const merged = new Map<string, Set<string>>();
  for (const f of flows) {
    const key = `${f.from}\u0000${f.to}`;
    merged.set(key, (merged.get(key) ?? new Set()).add(f.ports));
  }
  return [...merged].map(([key, ports]) => {
    const [from, to] = key.split('\u0000');
    return { from, to, ports: [...ports].sort((a, b) => parseInt(a.slice(1)) - parseInt(b.slice(1))).join(' ') };
  });
}
