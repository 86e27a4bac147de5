// The kernel's network state as plain data: what observers produce and
// planners compare against. Addresses are `addr/len` in canonical text.

export interface LinkState {
  readonly name: string;
  /** Lower case, as the kernel prints it. */
  readonly mac: string;
  readonly up: boolean;
  readonly mtu: number;
  /** Interface group number (0 is "default"). */
  readonly group: number;
  /** Scope-global addresses only; link-local ones belong to the kernel. */
  readonly addresses: readonly string[];
}

export interface RouteState {
  /** `default` is spelled `0.0.0.0/0` or `::/0`; hosts carry their /32 or /128. */
  readonly dst: string;
  readonly dev: string;
  readonly via?: string;
  readonly onlink: boolean;
  /** Routes the kernel made for its own addresses are never ours to touch. */
  readonly kernel: boolean;
}

export interface NeighbourState {
  readonly ip: string;
  readonly dev: string;
  readonly mac?: string;
  readonly permanent: boolean;
}

export interface NetState {
  readonly links: readonly LinkState[];
  readonly routes: readonly RouteState[];
  readonly neighbours: readonly NeighbourState[];
}

export const isV6 = (addr: string): boolean => addr.includes(':');
