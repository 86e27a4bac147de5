// A plan for `ip` is data: easy to diff, print for --dry-run, and assert on.

export type IpOp =
  | { readonly kind: 'addr-add' | 'addr-del'; readonly dev: string; readonly cidr: string }
  | { readonly kind: 'link-up'; readonly dev: string }
  | { readonly kind: 'link-mtu'; readonly dev: string; readonly mtu: number }
  | { readonly kind: 'link-group'; readonly dev: string; readonly group: number }
  | { readonly kind: 'neigh-permanent'; readonly dev: string; readonly ip: string; readonly mac: string }
  | { readonly kind: 'neigh-del'; readonly dev: string; readonly ip: string }
  | {
      readonly kind: 'route-replace';
      readonly dev: string;
      readonly dst: string;
      readonly via?: string;
      readonly onlink?: boolean;
    }
  | { readonly kind: 'route-del'; readonly dev: string; readonly dst: string; readonly via?: string };

export interface IpPlan {
  readonly ops: readonly IpOp[];
}

/** One line of `ip -batch`; iproute2 infers the family from the addresses. */
export function toIpBatchLine(op: IpOp): string {
  switch (op.kind) {
    case 'addr-add':
      // nodad: a /128 that waits for duplicate detection is unusable for a second, and no one else has it.
      return `address replace ${op.cidr} dev ${op.dev}${op.cidr.includes(':') ? ' nodad' : ''}`;
    case 'addr-del':
      return `address del ${op.cidr} dev ${op.dev}`;
    case 'link-up':
      return `link set dev ${op.dev} up`;
    case 'link-mtu':
      return `link set dev ${op.dev} mtu ${op.mtu}`;
    case 'link-group':
      return `link set dev ${op.dev} group ${op.group}`;
    case 'neigh-permanent':
      return `neighbour replace ${op.ip} lladdr ${op.mac} dev ${op.dev} nud permanent`;
    case 'neigh-del':
      return `neighbour del ${op.ip} dev ${op.dev}`;
    case 'route-replace':
      return `route replace ${op.dst}${op.via ? ` via ${op.via}` : ''} dev ${op.dev}${op.onlink ? ' onlink' : ''}`;
    case 'route-del':
      return `route del ${op.dst}${op.via ? ` via ${op.via}` : ''} dev ${op.dev}`;
  }
}

export function describeIpOp(op: IpOp): string {
  return `ip ${toIpBatchLine(op)}`;
}
