import { quote } from '../../shared/errors/qnet-error';
import type { Logger } from '../../shared/logging/logger';
import { FirewallRuleError } from '../firewall/firewall-rule-error';
import { parseApiRule } from '../firewall/parse-api-rule';
import type { FirewallRuleModel } from '../firewall/rule-model';
import { Inventory, MAC_RE } from '../inventory/inventory';
import { MAX_XID, QUBE_CLASSES, type Qube, type QubeClass } from '../inventory/qube';
import { createLimiter } from './create-limiter';
import {
  parseBoolProperty,
  parseIntProperty,
  parseLines,
  parsePropertyValue,
  parseVmList,
  parseXidProperty,
  expectPropertyType,
  type PropertyValue,
  type VmListEntry,
} from './parse-admin-api';
import { toPowerState } from './power-state';
import type { QubesdClient } from './qubesd-client';
import { QubesdError, QubesdProtocolError } from './qubesd-errors';
import { decodeText } from './qubesd-reply';
import { describeCall, type QubesdCall } from './qubesd-request';

type Limited = <T>(task: () => Promise<T>) => Promise<T>;

/** A qube removed while it was being read: the `domain-delete` event triggers the next reload. */
class VanishedQube extends Error {}

async function callText(client: QubesdClient, limit: Limited, call: QubesdCall): Promise<string> {
  const bytes = await limit(async () => {
    try {
      return await client.call(call);
    } catch (err) {
      if (err instanceof QubesdError && err.excType === 'QubesVMNotFoundError') throw new VanishedQube(call.dest);
      throw err;
    }
  });
  return decodeText(bytes, describeCall(call));
}

async function readFeatures(client: QubesdClient, limit: Limited, name: string): Promise<Record<string, string>> {
  const listed = parseLines(
    await callText(client, limit, { method: 'admin.vm.feature.List', dest: name }),
    `admin.vm.feature.List on ${name}`,
  );
  const entries = await Promise.all(
    listed.map(async (feature): Promise<[string, string] | undefined> => {
      try {
        return [feature, await callText(client, limit, { method: 'admin.vm.feature.Get', arg: feature, dest: name })];
      } catch (err) {
        // Deleted between List and Get: absent, as a later read would see it.
        if (err instanceof QubesdError && err.excType === 'QubesFeatureNotFoundError') return undefined;
        throw err;
      }
    }),
  );
  return Object.fromEntries(entries.filter((e) => e !== undefined));
}

async function readFirewall(client: QubesdClient, limit: Limited, name: string): Promise<FirewallRuleModel[]> {
  const what = `admin.vm.firewall.Get on ${name}`;
  const lines = parseLines(await callText(client, limit, { method: 'admin.vm.firewall.Get', dest: name }), what);
  return lines.map((line, i) => {
    try {
      return parseApiRule(line);
    } catch (err) {
      if (err instanceof FirewallRuleError) throw new QubesdProtocolError(`${what}: rule ${i}: ${err.message}`);
      throw err;
    }
  });
}

async function readQube(client: QubesdClient, limit: Limited, entry: VmListEntry, klass: QubeClass): Promise<Qube> {
  const name = entry.name;
  const prop = async (property: string) => {
    const call = { method: 'admin.vm.property.Get', arg: property, dest: name };
    return parsePropertyValue(await callText(client, limit, call), describeCall(call));
  };
  const what = (property: string) => `${name}.${property}`;
  const power = toPowerState(entry.state);
  const [qid, netvm, providesNetwork, ip, ip6, mac, dispid, xid, features, firewall, tags] = await Promise.all([
    prop('qid').then((p) => parseIntProperty(p, what('qid'))),
    prop('netvm').then((p) => ({ value: expectPropertyType(p, 'vm', what('netvm')) || null, isDefault: p.isDefault })),
    prop('provides_network').then((p) => ({
      value: parseBoolProperty(p, what('provides_network')),
      isDefault: p.isDefault,
    })),
    prop('ip'),
    prop('ip6'),
    prop('mac'),
    klass === 'DispVM' ? prop('dispid').then((p) => parseIntProperty(p, what('dispid'))) : undefined,
    // Only a running qube has a vif, named after its domain id; a halted one's is -1 anyway.
    power === 'running' ? prop('xid').then((p) => parseXidProperty(p, what('xid'), MAX_XID)) : undefined,
    readFeatures(client, limit, name),
    readFirewall(client, limit, name),
    callText(client, limit, { method: 'admin.vm.tag.List', dest: name }).then((t) =>
      parseLines(t, `admin.vm.tag.List on ${name}`),
    ),
  ]);
  // Only a value set on the qube is an override; a default is what the address plan computes anyway.
  const override = (p: PropertyValue, property: string): string | undefined => {
    const value = expectPropertyType(p, 'str', what(property));
    return p.isDefault || value === '' ? undefined : value;
  };
  const ipOverride = override(ip, 'ip');
  const ip6Override = override(ip6, 'ip6');
  const macOverride = override(mac, 'mac');
  if (macOverride !== undefined && !MAC_RE.test(macOverride)) {
    throw new QubesdProtocolError(`${what('mac')}: not a lowercase MAC address ${quote(macOverride)}`);
  }
  const qube: Qube = {
    name,
    qid,
    klass,
    netvm: netvm.value,
    netvmIsDefault: netvm.isDefault,
    providesNetwork: providesNetwork.value,
    providesNetworkIsDefault: providesNetwork.isDefault,
    features,
    tags,
    firewall,
    power,
    ...(dispid === undefined ? {} : { dispid }),
    ...(xid === undefined ? {} : { xid }),
    ...(ipOverride === undefined ? {} : { ip: ipOverride }),
    ...(ip6Override === undefined ? {} : { ip6: ip6Override }),
    ...(macOverride === undefined ? {} : { mac: macOverride }),
  };
  return qube;
}

/**
 * A full read of qubesd: one `admin.vm.List`, then each qube's properties,
 * features, firewall and tags, with at most `concurrency` calls in flight.
 * dom0 (AdminVM) has no network and is left out; so is any class qnet does
 * not model, with a warning.
 */
export async function readQubesdInventory(
  client: QubesdClient,
  concurrency: number,
  logger: Logger,
): Promise<Inventory> {
  const limit = createLimiter(concurrency);
  const [listText, defaultNetvmText] = await Promise.all([
    callText(client, limit, { method: 'admin.vm.List', dest: 'dom0' }),
    callText(client, limit, { method: 'admin.property.Get', arg: 'default_netvm', dest: 'dom0' }),
  ]);
  const listed = parseVmList(listText);
  const defaultNetvm =
    expectPropertyType(parsePropertyValue(defaultNetvmText, 'default_netvm'), 'vm', 'default_netvm') || null;
  const modelled = listed.filter((entry) => {
    if (entry.klass === 'AdminVM') return false;
    if ((QUBE_CLASSES as readonly string[]).includes(entry.klass)) return true;
    logger.warn('qubesd: skipping a qube of a class qnet does not model', {
      qube: entry.name,
      klass: quote(entry.klass),
    });
    return false;
  });
  const qubes = await Promise.all(
    modelled.map((entry) =>
      readQube(client, limit, entry, entry.klass as QubeClass).catch((err: unknown) => {
        if (err instanceof VanishedQube) return undefined;
        throw err;
      }),
    ),
  );
  return Inventory.of(
    qubes.filter((q) => q !== undefined),
    { defaultNetvm },
  );
}
