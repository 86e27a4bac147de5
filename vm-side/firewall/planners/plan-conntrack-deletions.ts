import type { ConntrackSweep, Family } from './firewall-model';
import { flowAllowed, type Flow } from '../flow-verdict';

/** The flows a rule change now forbids: those of a swept client whose first packet the new chain would refuse. */
export function planConntrackDeletions(flows: readonly Flow[], sweeps: readonly ConntrackSweep[]): Flow[] {
  const bySource = new Map<string, ConntrackSweep>();
  for (const s of sweeps) bySource.set(`${s.family} ${s.source}`, s);
  return flows.filter((flow) => {
    const sweep = bySource.get(`${flow.family} ${flow.src}`);
    if (!sweep) return false;
    return sweep.rules === 'all' || !flowAllowed(sweep.rules, flow);
  });
}

/** `conntrack -D` arguments that select exactly this flow (original tuple). */
export function toConntrackDeleteArgs(flow: Flow): string[] {
  const args = ['-D', '-f', familyArg(flow.family), '-p', flow.proto, '-s', flow.src, '-d', flow.dst];
  if (flow.sport !== undefined) args.push('--sport', String(flow.sport));
  if (flow.dport !== undefined) args.push('--dport', String(flow.dport));
  if (flow.icmpType !== undefined) {
    const icmp = flow.family === 'ip' ? '--icmp' : '--icmpv6';
    args.push(`${icmp}-type`, String(flow.icmpType));
    if (flow.icmpCode !== undefined) args.push(`${icmp}-code`, String(flow.icmpCode));
    if (flow.icmpId !== undefined) args.push(`${icmp}-id`, String(flow.icmpId));
  }
  return args;
}

export function familyArg(family: Family): string {
  return family === 'ip' ? 'ipv4' : 'ipv6';
}
