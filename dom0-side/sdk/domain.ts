import { NETWORK_PROPERTIES, type QubeInfo } from '../../services/admin/admin-schemas';
import {
  CheckFeatureWithNetvm,
  ResetProperty,
  GetQube,
  SetFeature,
  SetFirewall,
  SetPower,
  SetProperty,
} from '../../services/admin/admin-services';
import { toApiLine, type FirewallRuleModel } from '../firewall/rule-model';
import { toFeatureRecord, type FeatureRecord } from '../inventory/feature-record';
import type { AdminConnection } from './admin-connection';
import { PushBatch } from './push-batch';
import { RevisionConflictError } from './sdk-errors';

/** What `vm.network()` reports: the network properties with qubesd's names, and what each service acknowledged. */
export type NetworkView = Pick<QubeInfo, (typeof NETWORK_PROPERTIES)[number] | 'ipv6' | 'generations'>;

/** Qubes features are strings; qubesadmin stores True as '1' and False as ''. */
export type FeatureValue = string | boolean | number;
const featureText = (value: FeatureValue) => (typeof value === 'boolean' ? (value ? '1' : '') : String(value));

/** The qube's features, as qubesadmin's `vm.features`. */
export class DomainFeatures {
  constructor(
    private readonly admin: AdminConnection,
    private readonly vm: string,
  ) {}

  async get(name: string): Promise<string | undefined>;
  async get<D>(name: string, fallback: D): Promise<string | D>;
  async get<D>(name: string, fallback?: D): Promise<string | D | undefined> {
    const { features } = await this.admin.call(GetQube, { name: this.vm });
    const found = features.find(([n]) => n === name);
    return found ? found[1] : fallback;
  }

  /** Every feature, in an object without a prototype: `__proto__` is a name like any other. */
  async all(): Promise<FeatureRecord> {
    return toFeatureRecord((await this.admin.call(GetQube, { name: this.vm })).features);
  }

  async set(name: string, value: FeatureValue): Promise<PushBatch> {
    const r = await this.admin.call(SetFeature, { name: this.vm, feature: name, value: featureText(value) });
    return new PushBatch(this.admin, r.pushes);
  }

  async delete(name: string): Promise<PushBatch> {
    const r = await this.admin.call(SetFeature, { name: this.vm, feature: name, value: null });
    return new PushBatch(this.admin, r.pushes);
  }

  /** The qube's own value, else the first found up its netvm chain (qubesadmin's check_with_netvm). */
  async checkWithNetvm(name: string): Promise<string | undefined>;
  async checkWithNetvm<D>(name: string, fallback: D): Promise<string | D>;
  async checkWithNetvm<D>(name: string, fallback?: D): Promise<string | D | undefined> {
    const { value } = await this.admin.call(CheckFeatureWithNetvm, { name: this.vm, feature: name });
    return value ?? fallback;
  }
}

/** Rules as Admin API lines (`action=accept proto=tcp dsthost=example.org dstports=443-443`) or parsed models. */
export type RuleInput = string | FirewallRuleModel;

/** The qube's firewall, as qubesadmin's `vm.firewall`. */
export class DomainFirewall {
  /** `await vm.firewall.rules.get()`, `await vm.firewall.rules.set([...])`. */
  readonly rules = {
    get: () => this.getRules(),
    set: (rules: readonly RuleInput[]) => this.setRules(rules),
  };

  constructor(
    private readonly admin: AdminConnection,
    private readonly vm: string,
  ) {}

  /** Admin API lines; a qube without a configured firewall reads as Qubes shows it: one accept rule. */
  async getRules(): Promise<string[]> {
    const { firewall } = await this.admin.call(GetQube, { name: this.vm });
    return firewall ?? ['action=accept'];
  }

  /**
   * Why qnet cannot send these rules, or null. When set, a live rule is one
   * Qubes accepts but the provider could not install, and the qube's traffic
   * is dropped, all of it, until the rules change.
   */
  async error(): Promise<string | null> {
    return (await this.admin.call(GetQube, { name: this.vm })).firewall_error;
  }

  /** The rules (as getRules shows them) with the revision to pass back to setRules for compare-and-set. */
  async read(): Promise<{ rules: string[]; revision: string }> {
    const info = await this.admin.call(GetQube, { name: this.vm });
    return { rules: info.firewall ?? ['action=accept'], revision: info.firewall_revision };
  }

  /**
   * Replaces the rules. With `expectedRevision` (from read()), only if they
   * are unchanged since; otherwise RevisionConflictError.
   */
  async setRules(rules: readonly RuleInput[], opts: { expectedRevision?: string } = {}): Promise<PushBatch> {
    const lines = rules.map((r) => (typeof r === 'string' ? r : toApiLine(r)));
    const request = { name: this.vm, rules: lines, ...opts };
    return new PushBatch(this.admin, (await this.admin.call(SetFirewall, request)).pushes);
  }

  /**
   * Read, edit, replace, safely under concurrency: `edit` gets the current
   * rules and returns the new list; the replace names the revision it read,
   * and on a conflict the whole step runs again on fresh rules, so no rule
   * another writer added or removed meanwhile is lost or revived.
   */
  async edit(edit: (rules: string[]) => readonly RuleInput[], opts: { attempts?: number } = {}): Promise<PushBatch> {
    const attempts = opts.attempts ?? 50;
    for (let attempt = 1; ; attempt++) {
      const { rules, revision } = await this.read();
      try {
        return await this.setRules(edit(rules), { expectedRevision: revision });
      } catch (err) {
        if (!(err instanceof RevisionConflictError) || attempt >= attempts) throw err;
        // Spread the retries of many concurrent writers so they do not collide again in lockstep.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(100, 5 * attempt)));
      }
    }
  }

  /** Back to Qubes's default (no firewall configured: everything allowed). */
  async reset(): Promise<PushBatch> {
    return new PushBatch(this.admin, (await this.admin.call(SetFirewall, { name: this.vm, rules: null })).pushes);
  }
}

export type SettableProperty = 'netvm' | 'provides_network' | 'ip' | 'ip6' | 'mac';

/** One qube, as qubesadmin's `app.domains[name]`; every read asks qnetd, so it is never stale. */
export class Domain {
  readonly features: DomainFeatures;
  readonly firewall: DomainFirewall;

  constructor(
    private readonly admin: AdminConnection,
    readonly name: string,
  ) {
    this.features = new DomainFeatures(admin, name);
    this.firewall = new DomainFirewall(admin, name);
  }

  /** Every property qnet knows (the `qvm-prefs` view), fresh. */
  prefs(): Promise<QubeInfo> {
    return this.admin.call(GetQube, { name: this.name });
  }

  async getProperty<K extends keyof QubeInfo>(property: K): Promise<QubeInfo[K]> {
    return (await this.prefs())[property];
  }

  /** `null` sets netvm to none (disconnected), ip/ip6 back to their planned addresses and mac to Qubes's default; see resetProperty. */
  async setProperty(property: SettableProperty, value: string | boolean | null): Promise<PushBatch> {
    const request =
      property === 'provides_network'
        ? { name: this.name, property, value: value === true || value === 'True' || value === '1' }
        : { name: this.name, property, value: value === null ? null : String(value) };
    return new PushBatch(this.admin, (await this.admin.call(SetProperty, request)).pushes);
  }

  /**
   * qubesadmin's `del vm.PROPERTY` (`qvm-prefs --default`): back to Qubes's
   * default, e.g. netvm follows `default_netvm` again. Not the same as
   * `setProperty('netvm', null)`, which disconnects the qube.
   */
  async resetProperty(property: string): Promise<PushBatch> {
    return new PushBatch(this.admin, (await this.admin.call(ResetProperty, { name: this.name, property })).pushes);
  }

  /** qubesadmin's `vm.property_is_default(name)`: true while the property holds its default (qvm-prefs's `D`). */
  async propertyIsDefault(property: string): Promise<boolean> {
    return (await this.prefs()).defaults.includes(property);
  }

  async getNetvm(): Promise<Domain | null> {
    const { netvm } = await this.prefs();
    return netvm === null ? null : new Domain(this.admin, netvm);
  }

  /** Takes effect live: the qube, its old and new netvm are pushed; no restart. */
  setNetvm(netvm: Domain | string | null): Promise<PushBatch> {
    return this.setProperty('netvm', netvm instanceof Domain ? netvm.name : netvm);
  }

  async network(): Promise<NetworkView> {
    const p = await this.prefs();
    const view: Partial<NetworkView> = { ipv6: p.ipv6, generations: p.generations };
    for (const key of NETWORK_PROPERTIES) (view as Record<string, unknown>)[key] = p[key];
    return view as NetworkView;
  }

  async isRunning(): Promise<boolean> {
    return (await this.prefs()).power === 'running';
  }

  /** The embedded store's stand-in for qvm-start: records that the qube's vif exists. */
  async start(): Promise<PushBatch> {
    return new PushBatch(this.admin, (await this.admin.call(SetPower, { name: this.name, power: 'running' })).pushes);
  }

  async shutdown(opts: { force?: boolean } = {}): Promise<PushBatch> {
    const force = opts.force === true ? { force: true } : {};
    const reply = await this.admin.call(SetPower, { name: this.name, power: 'halted', ...force });
    return new PushBatch(this.admin, reply.pushes);
  }

  toString(): string {
    return this.name;
  }
}
