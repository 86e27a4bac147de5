import { inject, injectable } from 'tsyringe';
import type { ChangeResult, PushStatus, QubeInfo } from '../../services/admin/admin-schemas';
import { BadRequestError, NotFoundError, quote } from '../../shared/errors/qnet-error';
import { Logger } from '../../shared/logging/logger';
import { parseAdminRuleLine } from '../firewall/parse-api-rule';
import { FirewallRuleError } from '../firewall/firewall-rule-error';
import { firewallRevision } from '../firewall/firewall-revision';
import { freeId } from '../inventory/embedded-backend';
import { firewallLines } from '../inventory/firewall-lines';
import type { Inventory } from '../inventory/inventory';
import { InventoryBackend, type InventoryChange } from '../inventory/inventory-backend';
import type { Qube, QubeClass } from '../inventory/qube';
import { Reconciler } from '../reconciler/reconciler';
import { SerialQueue } from '../../shared/runtime/serial-queue';
import { EventLog } from './event-log';
import { qubeEventsBetween, qubeEventsOf } from './qube-events';
import { firewallErrorOf, toQubeInfo } from './qube-view';
import { RevisionConflictError } from './revision-conflict-error';

export interface CreateRequest {
  readonly name: string;
  readonly klass?: QubeClass;
  readonly netvm?: string | null;
  readonly providesNetwork?: boolean;
  readonly label?: string;
  readonly qid?: number;
  readonly dispid?: number;
}

const nameOf = (change: InventoryChange) => (change.kind === 'create' ? change.qube.name : change.name);

/** A change expressed against the current inventory (creation picks free ids from it). */
type ChangeSource = InventoryChange | ((inventory: Inventory) => InventoryChange);

/**
 * qnetd's operations, whatever asked (admin socket, backend events). Every
 * change is applied to the backend and planned by the reconciler in one
 * queue, so the reconciler sees inventories in the order they were made.
 */
@injectable()
export class QnetAdmin {
  private readonly queue = new SerialQueue();
  private unwatch: (() => void) | undefined;

  constructor(
    @inject(InventoryBackend) private readonly backend: InventoryBackend,
    @inject(Reconciler) private readonly reconciler: Reconciler,
    @inject(Logger) private readonly log: Logger,
    @inject(EventLog) private readonly events: EventLog,
  ) {}

  /** Loads the inventory, pushes every running qube its documents, then follows backend events. */
  async start(): Promise<ChangeResult> {
    const pushes = await this.reconciler.start(await this.backend.load());
    this.events.recordCause('qnetd start', [], pushes);
    this.unwatch = this.backend.watch((event) => {
      this.log.info(`inventory changed outside qnetd: ${event.reason}`);
      this.serialize(async () => {
        const before = this.reconciler.inventory;
        const after = await this.backend.load();
        const resynced = await this.reconciler.update(after);
        this.events.recordCause(event.reason, qubeEventsBetween(before, after), resynced);
      }).catch((err: unknown) => this.log.error(`resync after ${event.reason} failed: ${String(err)}`));
    });
    return { pushes };
  }

  change(source: ChangeSource): Promise<ChangeResult> {
    return this.serialize(async () => {
      const before = this.reconciler.inventory;
      const change = typeof source === 'function' ? source(before) : source;
      const inventory = await this.backend.apply(change);
      const pushes = await this.reconciler.update(inventory);
      const events = qubeEventsOf(change, before, inventory);
      const what = events.length ? `${events[0].event} on ${events[0].qube}` : `${change.kind} on ${nameOf(change)}`;
      this.events.recordCause(what, events, pushes);
      return { pushes };
    });
  }

  create(req: CreateRequest): Promise<ChangeResult> {
    return this.change((inventory) => {
      const klass = req.klass ?? 'AppVM';
      const qube: Qube = {
        name: req.name,
        qid: req.qid ?? freeId(inventory, 'qid'),
        klass,
        ...(klass === 'DispVM' ? { dispid: req.dispid ?? freeId(inventory, 'dispid') } : {}),
        // As qvm-create: without a netvm the qube follows default_netvm (qvm-prefs shows it with D).
        ...(req.netvm === undefined ? { netvm: inventory.defaultNetvm, netvmIsDefault: true } : { netvm: req.netvm }),
        providesNetwork: req.providesNetwork ?? false,
        ...(req.providesNetwork === undefined ? { providesNetworkIsDefault: true } : {}),
        ...(req.label !== undefined ? { label: req.label } : {}),
        features: {},
        tags: [],
        power: 'halted',
      };
      if (klass !== 'DispVM' && req.dispid !== undefined) throw new BadRequestError('only a DispVM has a dispid');
      return { kind: 'create', qube };
    });
  }

  /**
   * Replaces the rules; with `expectedRevision`, only while the rules are
   * still those the caller read (checked in the change queue, so no other
   * change can slip in between the check and the replace).
   */
  async setFirewall(name: string, lines: readonly string[] | null, expectedRevision?: string): Promise<ChangeResult> {
    const rules =
      lines === null
        ? null
        : lines.map((line, i) => {
            try {
              return parseAdminRuleLine(line);
            } catch (err) {
              if (err instanceof FirewallRuleError) throw new BadRequestError(`rule ${i}: ${err.message}`);
              throw err;
            }
          });
    return this.change((inventory) => {
      if (expectedRevision !== undefined) {
        const current = inventory.get(name);
        if (!current) throw new NotFoundError(`no such qube ${quote(name, 32)}`);
        const revision = firewallRevision(firewallLines(current));
        if (revision !== expectedRevision) {
          throw new RevisionConflictError(
            `firewall of ${quote(name, 32)} changed since it was read (revision ${revision}, expected ${expectedRevision})`,
          );
        }
      }
      return { kind: 'set-firewall', name, rules };
    });
  }

  push(qubes: readonly string[]): Promise<ChangeResult> {
    return this.serialize(async () => {
      const pushes = await this.reconciler.pushAgain(qubes);
      this.events.recordCause(`qnet push ${qubes.join(' ') || '(all)'}`, [], pushes);
      return { pushes };
    });
  }

  /** The reconciler's rows, each with its qube's firewall error when its rules cannot be sent. */
  status(): PushStatus[] {
    const network = this.reconciler.network.network;
    return this.reconciler.status().map((row) => {
      const firewallError = firewallErrorOf(network.get(row.qube));
      return firewallError === undefined ? row : { ...row, firewallError };
    });
  }

  list(): QubeInfo[] {
    const snapshot = this.reconciler.network;
    return snapshot.inventory.list().map((q) => toQubeInfo(snapshot, q, this.reconciler.statusOf(q.name)));
  }

  get(name: string): QubeInfo {
    const snapshot = this.reconciler.network;
    const q = snapshot.inventory.get(name);
    if (!q) throw new NotFoundError(`no such qube ${quote(name, 32)}`);
    return toQubeInfo(snapshot, q, this.reconciler.statusOf(name));
  }

  /** qubesadmin's `features.check_with_netvm`: the qube's own value, else the first up its netvm chain. */
  checkWithNetvm(name: string, feature: string): string | null {
    const inventory = this.reconciler.inventory;
    let q = inventory.get(name);
    if (!q) throw new NotFoundError(`no such qube ${quote(name, 32)}`);
    for (let hops = 0; q && hops <= inventory.size; hops++) {
      if (Object.prototype.hasOwnProperty.call(q.features, feature)) return q.features[feature];
      q = q.netvm === null ? undefined : inventory.get(q.netvm);
    }
    return null;
  }

  async dispose(): Promise<void> {
    this.unwatch?.();
    await this.queue.drain();
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.run(fn);
  }
}
