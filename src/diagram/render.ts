// Draws a Topology: Graphviz DOT (rendered to SVG by diagram-command.ts) and Mermaid for Markdown.
import type { Topology } from './topology';

const TIERS = [
  { tier: 'public', title: 'public subnets', color: '#e6f4ea' },
  { tier: 'app', title: 'private app subnets', color: '#e8f0fe' },
  { tier: 'data', title: 'private data subnets (no route out)', color: '#fef7e0' },
] as const;

const dotLabel = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
const nodeId = (id: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(id) ? id : `"${id}"`);

function endpointsLabel(t: Topology): string {
  return `VPC endpoints\n${t.endpoints.join(', ')}`;
}

const serviceLabel = (s: Topology['services'][number]) =>
  `ECS service ${s.name}\n${s.kind === 'worker' ? 'worker (no load balancer)\n' : ''}${s.capacity}\n${s.release}`;
const scheduleLabel = (s: Topology['schedules'][number]) => `EventBridge Scheduler\n${s.name}\n${s.label}`;
const runsLabel = (s: Topology['schedules'][number]) => `RunTask${s.command ? `: ${s.command}` : ''}`;

/** A node for each external source that is not the internet (a CIDR allowed in, e.g. the test listener's). */
function externalSources(t: Topology): string[] {
  const known = new Set(['internet', 'vpc', 'alb', ...t.services.map((s) => s.id), ...t.databases.map((d) => d.id), ...t.caches.map((c) => c.id)]);
  return [...new Set(t.flows.map((f) => f.from).filter((from) => !known.has(from)))];
}

export function toDot(t: Topology, title: string): string {
  const lines = [
    'digraph topology {',
    `  graph [rankdir=LR, newrank=true, compound=true, fontname="Helvetica", fontsize=16, labelloc=t, label=${dotLabel(title)}, nodesep=0.5, ranksep=0.7, pad=0.3];`,
    '  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#ffffff", color="#5f6368"];',
    '  edge [fontname="Helvetica", fontsize=11, color="#3c4043"];',
    '  internet [label="Internet", shape=ellipse, fillcolor="#d2e3fc"];',
  ];
  for (const cidr of externalSources(t)) lines.push(`  ${nodeId(cidr)} [label=${dotLabel(`allowed range\n${cidr}`)}, shape=ellipse, fillcolor="#fce8e6"];`);
  // Schedules are AWS-side (outside the VPC): they start tasks through the ECS API.
  for (const s of t.schedules) lines.push(`  ${nodeId(s.id)} [label=${dotLabel(scheduleLabel(s))}, shape=note, fillcolor="#f3e8fd"];`);
  lines.push(`  subgraph cluster_vpc {`, `    label=${dotLabel(`VPC ${t.vpcCidr ?? ''}`)}; style="rounded"; color="#5f6368"; fontsize=13;`);
  for (const { tier, title: tierTitle, color } of TIERS) {
    const subnets = t.subnets.filter((s) => s.tier === tier).sort((a, b) => a.az.localeCompare(b.az));
    const rows = subnets.map((s) => `${s.az}  ${s.cidr}`).join('\\l');
    lines.push(
      `    subgraph cluster_${tier} {`,
      `      label=${dotLabel(tierTitle)}; style="rounded,filled"; fillcolor="${color}"; color="#9aa0a6";`,
      `      ${tier}_subnets [shape=note, fontname="Courier", fontsize=10, margin="0.15,0.08", label="${tier} subnets\\l${rows}\\l"];`,
    );
    if (tier === 'public') {
      if (t.loadBalancer) lines.push(`      alb [label=${dotLabel(t.loadBalancer.label)}, fillcolor="#ceead6"];`);
      for (const az of t.natAzs) lines.push(`      ${nodeId(`nat_${az}`)} [label=${dotLabel(`NAT gateway + EIP\n${az}`)}];`);
    }
    if (tier === 'app') {
      for (const s of t.services) lines.push(`      ${nodeId(s.id)} [label=${dotLabel(serviceLabel(s))}, fillcolor="#d2e3fc"${s.kind === 'worker' ? ', style="rounded,filled,bold"' : ''}];`);
      if (t.endpoints.length > 0) lines.push(`      endpoints [label=${dotLabel(endpointsLabel(t))}, style="rounded,dashed,filled"];`);
    }
    if (tier === 'data') {
      for (const d of t.databases) lines.push(`      ${nodeId(d.id)} [label=${dotLabel(d.label)}, shape=cylinder, style=filled, fillcolor="#fde293"];`);
      for (const c of t.caches) lines.push(`      ${nodeId(c.id)} [label=${dotLabel(c.label)}, shape=cylinder, style=filled, fillcolor="#fad2cf"];`);
    }
    lines.push('    }');
  }
  lines.push('  }');
  // Left to right as traffic flows: internet → public → app → data.
  lines.push('  internet -> public_subnets -> app_subnets -> data_subnets [style=invis, weight=5];');
  for (const f of t.flows) {
    if (f.from === 'vpc') continue; // endpoints admit the whole VPC: drawn as egress below
    lines.push(`  ${nodeId(f.from)} -> ${nodeId(f.to)} [label=${dotLabel(` ${f.ports} `)}, penwidth=1.6];`);
  }
  // A schedule starts a task of its service's family (an API call, not network traffic): dotted.
  for (const s of t.schedules) {
    if (s.service) lines.push(`  ${nodeId(s.id)} -> ${nodeId(s.service)} [label=${dotLabel(` ${runsLabel(s)} `)}, style=dotted, color="#8430ce"];`);
  }
  // Egress (not security-group ingress): private tasks reach AWS and the internet through endpoints / NAT.
  for (const s of t.services) {
    if (t.endpoints.length > 0) lines.push(`  ${nodeId(s.id)} -> endpoints [style=dashed, color="#80868b", label=" :443 ", fontcolor="#5f6368", constraint=false];`);
    if (t.natAzs.length > 0) lines.push(`  ${nodeId(s.id)} -> ${nodeId(`nat_${t.natAzs[0]}`)} [style=dashed, color="#80868b", constraint=false];`);
  }
  if (t.natAzs.length > 0) lines.push(`  ${nodeId(`nat_${t.natAzs[0]}`)} -> internet [style=dashed, color="#80868b", constraint=false];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

export function toMermaid(t: Topology, title: string): string {
  const q = (text: string) => `"${text.replace(/"/g, '#quot;').replace(/\n/g, '<br/>')}"`;
  const lines = ['---', `title: ${title}`, '---', 'flowchart TB', '  internet((Internet))'];
  for (const cidr of externalSources(t)) lines.push(`  ext_${cidr.replace(/[^A-Za-z0-9]/g, '_')}([${q(`allowed range ${cidr}`)}])`);
  for (const s of t.schedules) lines.push(`  ${s.id}[/${q(scheduleLabel(s))}/]`);
  lines.push(`  subgraph vpc[${q(`VPC ${t.vpcCidr ?? ''}`)}]`);
  for (const { tier, title: tierTitle } of TIERS) {
    const subnets = t.subnets.filter((s) => s.tier === tier).sort((a, b) => a.az.localeCompare(b.az));
    lines.push(`    subgraph ${tier}[${q(`${tierTitle}\n${subnets.map((s) => `${s.az} ${s.cidr}`).join('\n')}`)}]`);
    if (tier === 'public') {
      if (t.loadBalancer) lines.push(`      alb[${q(t.loadBalancer.label)}]`);
      for (const az of t.natAzs) lines.push(`      nat_${az.replace(/-/g, '_')}[${q(`NAT gateway + EIP ${az}`)}]`);
    }
    if (tier === 'app') {
      for (const s of t.services) lines.push(`      ${s.id}[${q(serviceLabel(s))}]`);
      if (t.endpoints.length > 0) lines.push(`      endpoints[${q(endpointsLabel(t))}]`);
    }
    if (tier === 'data') {
      for (const d of t.databases) lines.push(`      ${d.id}[(${q(d.label)})]`);
      for (const c of t.caches) lines.push(`      ${c.id}[(${q(c.label)})]`);
    }
    lines.push('    end');
  }
  lines.push('  end');
  const id = (node: string) => (node === 'internet' || node === 'alb' || /^(svc|db|cache|sched)_/.test(node) ? node : `ext_${node.replace(/[^A-Za-z0-9]/g, '_')}`);
  for (const f of t.flows) if (f.from !== 'vpc') lines.push(`  ${id(f.from)} -->|${q(f.ports)}| ${id(f.to)}`);
  for (const s of t.schedules) if (s.service) lines.push(`  ${s.id} -.->|${q(runsLabel(s))}| ${s.service}`);
  for (const s of t.services) {
    if (t.endpoints.length > 0) lines.push(`  ${s.id} -.->|":443"| endpoints`);
    if (t.natAzs.length > 0) lines.push(`  ${s.id} -.->|egress| nat_${t.natAzs[0].replace(/-/g, '_')}`);
  }
  return `${lines.join('\n')}\n`;
}
