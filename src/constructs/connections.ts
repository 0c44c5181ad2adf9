// Security-group rules the way aws-ec2's `Connections` writes them: every group has ONE owner (the
// construct that created it), and traffic between two parties is allowed in one call that adds the
// ingress rule to the receiving group and, when the other side is a group with its own owner, the
// matching egress rule to that group — each rule under the scope of the group's owner, so a reader
// finds every rule of a group next to the group. Rule IDs are keyed by content (peer and ports),
// never by list position, so reordering a list never replaces a rule; allowing the same traffic twice
// yields one rule (AWS refuses duplicates).
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Token } from 'cdktf';
import type { Construct } from 'constructs';

/** TCP ports of a rule: one port, or an inclusive range (e.g. Docker's dynamic host ports). */
export type Port = number | { readonly from: number; readonly to: number };

/** A party without an owner in this app: an address range, a managed prefix list, or a group owned elsewhere. */
export type ExternalPeer =
  | { readonly kind: 'cidr'; readonly cidr: string; readonly key?: string }
  | { readonly kind: 'prefixList'; readonly prefixListId: string; readonly key: string }
  | { readonly kind: 'securityGroup'; readonly securityGroupId: string; readonly key: string };

/** The other side of a rule: another owned group (`Connections`) or an external peer. */
export type Peer = Connections | ExternalPeer;

/** Builders for external peers. `key` names the peer in rule IDs: short, stable, unique per owner. */
export const Peers = {
  /** An IPv4 or IPv6 range (`10.0.0.0/16`, `::/0`); `key` is required when the range is a Terraform reference (e.g. `vpc`). */
  cidr: (cidr: string, key?: string): ExternalPeer => ({ kind: 'cidr', cidr, key }),
  /** A managed prefix list, e.g. the region's S3 list (`com.amazonaws.<region>.s3`). */
  prefixList: (prefixListId: string, key: string): ExternalPeer => ({ kind: 'prefixList', prefixListId, key }),
  /** A group whose rules this app does not own (e.g. from another stack's outputs). */
  securityGroup: (securityGroupId: string, key: string): ExternalPeer => ({ kind: 'securityGroup', securityGroupId, key }),
};

/** One description per side when the two rules should read differently; a string is used for both. */
export type RuleDescription = string | { readonly ingress: string; readonly egress: string };

export interface ConnectionsProps {
  /** The group this object owns: every rule of it is created through this object. */
  readonly securityGroupId: string;
  /** Short stable name of the group (`alb`, `api`, `db-clients`): part of rule IDs on both sides. */
  readonly key: string;
}

/**
 * The rules of one security group, created under its owner's scope.
 *
 * @example
 * // In the construct that creates the group (its owner):
 * const sg = new SecurityGroup(this, 'sg', { ... });
 * this.connections = new Connections(this, { securityGroupId: sg.id, key: 'api' });
 * // Anywhere: the ALB may reach the tasks on 8000. Adds `api-ingress-from-alb-8000` under the
 * // service's owner and `alb-egress-to-api-8000` under the ALB's owner.
 * service.connections.allowFrom(alb.connections, 8000, 'api: from the ALB on port 8000');
 * // HTTPS to the VPC's interface endpoints only.
 * service.connections.allowTo(Peers.cidr('10.0.0.0/16'), 443, 'HTTPS to the VPC endpoints');
 */
export class Connections {
  readonly securityGroupId: string;
  readonly key: string;

  /** @param owner The construct that created the group: its rules become children of it. */
  constructor(
    private readonly owner: Construct,
    props: ConnectionsProps,
  ) {
    this.securityGroupId = props.securityGroupId;
    this.key = props.key;
  }

  /**
   * Traffic from `peer` into this group on `port` (TCP): an ingress rule here and, when `peer` is
   * another owned group, the egress rule on the peer's group (under the peer's owner).
   */
  allowFrom(peer: Peer, port: Port, description: RuleDescription): VpcSecurityGroupIngressRule {
    const text = describe(description);
    if (peer instanceof Connections) peer.egressRule(this, port, text.egress);
    return this.ingressRule(peer, port, text.ingress);
  }

  /**
   * Traffic from this group to `peer` on `port` (TCP): an egress rule here and, when `peer` is
   * another owned group, the ingress rule on the peer's group (under the peer's owner).
   */
  allowTo(peer: Peer, port: Port, description: RuleDescription): VpcSecurityGroupEgressRule {
    const text = describe(description);
    if (peer instanceof Connections) peer.ingressRule(this, port, text.ingress);
    return this.egressRule(peer, port, text.egress);
  }

  /** The ingress rule from `peer` on `port`, if one was allowed (e.g. to add a `moved` block to it). */
  ruleFrom(peer: Peer, port: Port): VpcSecurityGroupIngressRule | undefined {
    return this.owner.node.tryFindChild(`${this.key}-ingress-from-${peerKey(peer)}-${portKey(port)}`) as VpcSecurityGroupIngressRule | undefined;
  }

  /** The egress rule to `peer` on `port`, if one was allowed. */
  ruleTo(peer: Peer, port: Port): VpcSecurityGroupEgressRule | undefined {
    return this.owner.node.tryFindChild(`${this.key}-egress-to-${peerKey(peer)}-${portKey(port)}`) as VpcSecurityGroupEgressRule | undefined;
  }

  private ingressRule(peer: Peer, port: Port, description: string): VpcSecurityGroupIngressRule {
    const id = `${this.key}-ingress-from-${peerKey(peer)}-${portKey(port)}`;
    // The same traffic allowed twice (e.g. two bridge-mode services on dynamic ports): one rule, the first description.
    const existing = this.owner.node.tryFindChild(id);
    if (existing) return existing as VpcSecurityGroupIngressRule;
    return new VpcSecurityGroupIngressRule(this.owner, id, {
      securityGroupId: this.securityGroupId,
      description,
      ipProtocol: 'tcp',
      ...ports(port),
      ...peerTarget(peer),
    });
  }

  private egressRule(peer: Peer, port: Port, description: string): VpcSecurityGroupEgressRule {
    const id = `${this.key}-egress-to-${peerKey(peer)}-${portKey(port)}`;
    const existing = this.owner.node.tryFindChild(id);
    if (existing) return existing as VpcSecurityGroupEgressRule;
    return new VpcSecurityGroupEgressRule(this.owner, id, {
      securityGroupId: this.securityGroupId,
      description,
      ipProtocol: 'tcp',
      ...ports(port),
      ...peerTarget(peer),
    });
  }
}

function describe(description: RuleDescription): { ingress: string; egress: string } {
  if (typeof description === 'string') {
    if (description.trim() === '') throw new Error('Connections: every security group rule needs a description');
    return { ingress: description, egress: description };
  }
  return description;
}

function ports(port: Port): { fromPort: number; toPort: number } {
  return typeof port === 'number' ? { fromPort: port, toPort: port } : { fromPort: port.from, toPort: port.to };
}

/** `8000` or `32768-65535`. */
export function portKey(port: Port): string {
  return typeof port === 'number' ? String(port) : port.from === port.to ? String(port.from) : `${port.from}-${port.to}`;
}

function peerKey(peer: Peer): string {
  if (peer instanceof Connections) return peer.key;
  if (peer.kind !== 'cidr') return peer.key;
  if (peer.key) return peer.key;
  // A reference has no value at synth time: the rule ID needs a name for it.
  if (Token.isUnresolved(peer.cidr)) throw new Error('Connections: a CIDR peer given as a Terraform reference needs a key (Peers.cidr(ref, "vpc"))');
  // `10.0.0.0/16` → `10-0-0-0-16`; `::/0` → `---0`
  return peer.cidr.replace(/[./:]/g, '-');
}

function peerTarget(peer: Peer): { referencedSecurityGroupId: string } | { cidrIpv4: string } | { cidrIpv6: string } | { prefixListId: string } {
  if (peer instanceof Connections) return { referencedSecurityGroupId: peer.securityGroupId };
  switch (peer.kind) {
    case 'cidr':
      // A reference is taken as IPv4 (VPC ranges); IPv6 ranges are given literally.
      return !Token.isUnresolved(peer.cidr) && peer.cidr.includes(':') ? { cidrIpv6: peer.cidr } : { cidrIpv4: peer.cidr };
    case 'prefixList':
      return { prefixListId: peer.prefixListId };
    case 'securityGroup':
      return { referencedSecurityGroupId: peer.securityGroupId };
  }
}
