import type { ClientFirewall } from '../../../services/firewall-sync';
import type { NftCommand } from '../../planners/nft-json';
import { compileClientRules, familiesOf } from './compile-client-rules';
import {
  FAMILIES,
  type InstalledChain,
  type PlannedInput,
  type ClientRuleFailure,
  type CompiledRule,
  type ConntrackSweep,
  type Family,
  type FirewallPlan,
  type InstalledClient,
  type InstalledFirewall,
  type NameTable,
  type ReportedFailure,
} from './firewall-model';
import { planBaseTables } from './plan-base-tables';
import { planDeleteChain, planTidyChain, planWriteChain, type ChainBody } from './plan-client-chain';
import { renderRuleExpr } from './render-nft-rule';

export interface FirewallPlanInput {
  readonly clients: readonly ClientFirewall[];
  readonly names: NameTable;
  readonly nowMs: number;
  readonly installed: InstalledFirewall;
  /** Only these clients (by IPv4 address) are planned, and no chain is removed: one client's retry. */
  readonly scope?: ReadonlySet<string>;
  /** These clients get a chain that drops everything: their rules could not be applied. */
  readonly failClosed?: ReadonlyMap<string, string>;
}

/** The chain key of a client whose rules could not be applied; never equal to a rendered key, so it is retried. */
const FAIL_CLOSED_KEY = 'fail-closed';
const FAIL_CLOSED_BODY: ChainBody = { rules: [] };

/**
 * Plans one FirewallSync document as one nftables transaction. Only chains
 * whose content changes are written (flush and refill), so one client's
 * update among hundreds is a handful of commands; chains of addresses no
 * longer in the document are deleted with their map entries.
 */
export function planFirewall(input: FirewallPlanInput): FirewallPlan {
  const { installed } = input;
  const commands: NftCommand[] = [];
  const sweeps: ConntrackSweep[] = [];
  const chains = { ip: new Map(installed.chains.ip), ip6: new Map(installed.chains.ip6) };
  const clients = new Map(input.scope ? installed.clients : []);
  const changedClients: string[] = [];

  for (const family of FAMILIES) {
    if (!installed.base[family]) commands.push(...planBaseTables(family));
  }

  for (const client of input.clients) {
    if (input.scope && !input.scope.has(client.ip)) continue;
    const failReason = input.failClosed?.get(client.ip);
    const step =
      failReason === undefined ? planClientSafely(client, input, chains) : failClosedStep(client, failReason);
    clients.set(client.ip, step.record);
    if (step.writes.length === 0) continue;
    changedClients.push(client.ip);
    for (const w of step.writes) {
      const held = chains[w.family].get(w.address);
      const revision = Math.max(0, ...(held?.revisions ?? [])) + 1;
      // Our own earlier write left the dispatch chain and map element: adding them again would cost a grace period.
      const ensureDispatch = held?.key === undefined;
      commands.push(...planWriteChain(w.family, w.address, w.body, revision, ensureDispatch));
      chains[w.family].set(w.address, {
        key: w.key,
        live: revision,
        revisions: [...(held?.revisions ?? []), revision],
        // A new dispatch chain holds just this goto; an existing one also holds the superseded gotos.
        tidy: held === undefined,
      });
      if (w.sweep) sweeps.push({ family: w.family, source: w.address, rules: w.sweep });
    }
  }

  if (!input.scope) {
    const wanted = { ip: new Set<string>(), ip6: new Set<string>() };
    for (const c of input.clients) {
      wanted.ip.add(c.ip);
      if (c.ip6 !== undefined) wanted.ip6.add(c.ip6);
    }
    for (const family of FAMILIES) {
      for (const [address, held] of installed.chains[family]) {
        if (wanted[family].has(address)) continue;
        commands.push(...planDeleteChain(family, address, held.revisions));
        chains[family].delete(address);
        // The client left: its established flows would otherwise outlive its chain.
        sweeps.push({ family, source: address, rules: 'all' });
      }
    }
  }

  const next: InstalledFirewall = { base: { ip: true, ip6: true }, chains, clients };
  return {
    commands,
    sweeps,
    failures: collectFailures(input.clients, clients),
    installed: next,
    ...nextRuleWake(clients),
    changedClients,
  };
}

interface ChainWrite {
  readonly family: Family;
  readonly address: string;
  readonly body: ChainBody;
  readonly key: string;
  /** The rules the client's established flows are judged by; none for a fail-closed chain (it drops all). */
  readonly sweep?: readonly CompiledRule[] | 'all';
}

interface ClientStep {
  readonly record: InstalledClient;
  readonly writes: readonly ChainWrite[];
}

function addressOf(client: ClientFirewall, family: Family): string | undefined {
  return family === 'ip' ? client.ip : client.ip6;
}

function planClientSafely(
  client: ClientFirewall,
  input: FirewallPlanInput,
  chains: Record<Family, ReadonlyMap<string, InstalledChain>>,
): ClientStep {
  try {
    return planClient(client, input, chains);
  } catch (err) {
    // A bug or an unforeseen rule must not take the other clients down (section 5): this one fails closed.
    return failClosedStep(client, `rules could not be compiled: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function planClient(
  client: ClientFirewall,
  input: FirewallPlanInput,
  chains: Record<Family, ReadonlyMap<string, InstalledChain>>,
): ClientStep {
  const names = dsthostNames(client);
  const planned: PlannedInput = { client, answers: names.map((n) => input.names.get(n)) };
  const held = input.installed.clients.get(client.ip);
  const families = familiesOf(client);
  const upToDate =
    held !== undefined &&
    held.input !== undefined &&
    sameJson(held.input, planned) &&
    (held.wakeAt === undefined || held.wakeAt > input.nowMs) &&
    families.every((f) => chains[f].get(addressOf(client, f) ?? '')?.key !== undefined);
  if (upToDate) return { record: held, writes: [] };

  const compiled = compileClientRules(client, input.names, input.nowMs);
  const writes: ChainWrite[] = [];
  for (const family of families) {
    const address = addressOf(client, family) as string;
    const body: ChainBody = {
      rules: compiled.rules[family].map((r) => ({
        expr: renderRuleExpr(r, family),
        ...(r.comment ? { comment: r.comment } : {}),
      })),
    };
    const key = JSON.stringify(body);
    if (chains[family].get(address)?.key === key) continue;
    writes.push({ family, address, body, key, sweep: compiled.rules[family] });
  }
  const record: InstalledClient = {
    name: client.name,
    ip: client.ip,
    ...(client.ip6 !== undefined ? { ip6: client.ip6 } : {}),
    input: planned,
    ...(compiled.wakeAt !== undefined ? { wakeAt: compiled.wakeAt } : {}),
    names,
    failures: compiled.failures,
  };
  return { record, writes };
}

function failClosedStep(client: ClientFirewall, reason: string): ClientStep {
  const failures: ClientRuleFailure[] = [{ message: `${reason}; all traffic of the client is dropped` }];
  const record: InstalledClient = {
    name: client.name,
    ip: client.ip,
    ...(client.ip6 !== undefined ? { ip6: client.ip6 } : {}),
    names: dsthostNames(client),
    failures,
  };
  const writes = familiesOf(client).map((family) => ({
    family,
    address: addressOf(client, family) as string,
    body: FAIL_CLOSED_BODY,
    key: FAIL_CLOSED_KEY,
    sweep: 'all' as const,
  }));
  return { record, writes };
}

export function dsthostNames(client: ClientFirewall): string[] {
  const names = new Set<string>();
  for (const rule of client.rules) if (rule.dsthost !== undefined) names.add(rule.dsthost);
  return [...names];
}

/**
 * Deep equality of JSON-like values, as a parsed document holds. Every
 * unchanged client is compared on every document, so no strings are built:
 * with a thousand clients, serialising each one cost more than the rest of
 * the plan.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameJson(x, b[i]));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => Object.hasOwn(y, k) && sameJson(x[k], y[k]));
}

export function collectFailures(
  desired: readonly ClientFirewall[],
  records: ReadonlyMap<string, InstalledClient>,
): ReportedFailure[] {
  const out: ReportedFailure[] = [];
  for (const client of desired) {
    for (const f of records.get(client.ip)?.failures ?? []) {
      out.push({ client: client.name, ...(f.rule !== undefined ? { rule: f.rule } : {}), message: f.message });
    }
  }
  return out;
}

/** When the earliest held rule expires, if any does. */
export function nextRuleWake(records: ReadonlyMap<string, InstalledClient>): { nextWakeAt?: number } {
  let at: number | undefined;
  for (const r of records.values()) {
    if (r.wakeAt !== undefined && (at === undefined || r.wakeAt < at)) at = r.wakeAt;
  }
  return at === undefined ? {} : { nextWakeAt: at };
}

/**
 * The follow-up to a plan: every client address whose dispatch chain still
 * holds superseded `goto`s (or whose superseded revisions remain) gets its
 * one `goto` and loses the rest. Verdicts do not change, so a failure here
 * costs memory, not safety; the next tidy retries.
 */
export function planTidy(installed: InstalledFirewall): { commands: NftCommand[]; installed: InstalledFirewall } {
  const commands: NftCommand[] = [];
  const chains = { ip: new Map(installed.chains.ip), ip6: new Map(installed.chains.ip6) };
  for (const family of FAMILIES) {
    for (const [address, held] of installed.chains[family]) {
      if (held.tidy || held.live === undefined) continue;
      const live = held.live;
      commands.push(
        ...planTidyChain(
          family,
          address,
          live,
          held.revisions.filter((r) => r !== live),
        ),
      );
      chains[family].set(address, { ...held, revisions: [live], tidy: true });
    }
  }
  return { commands, installed: { ...installed, chains } };
}
