import { inject, injectable } from 'tsyringe';
import * as admin from '../../services/admin/admin-services';
import type { CallContext } from '../../shared/contract/call-context';
import type { AnyService, RequestOf, ResponseOf } from '../../shared/contract/define-service';
import type { ServiceHandler } from '../../shared/contract/service-handler';
import { checkServiceAndArgument } from '../../shared/runtime/descriptor';
import { Transport } from '../../shared/transport/transport';
import type { InventoryChange } from '../inventory/inventory-backend';
import { Reconciler } from '../reconciler/reconciler';
import { EventLog } from './event-log';
import { QnetAdmin } from './qnet-admin';

function handler<S extends AnyService>(
  service: S,
  handle: (request: RequestOf<S>, ctx: CallContext) => Promise<ResponseOf<S>> | ResponseOf<S>,
): ServiceHandler {
  return { service, handle: async (request, ctx) => handle(request as RequestOf<S>, ctx) };
}

function propertyChange(req: RequestOf<typeof admin.SetProperty>): InventoryChange {
  switch (req.property) {
    case 'netvm':
      return { kind: 'set-netvm', name: req.name, netvm: req.value };
    case 'provides_network':
      return { kind: 'set-provides-network', name: req.name, value: req.value };
    default:
      return { kind: 'set-address', name: req.name, family: req.property, value: req.value };
  }
}

/** The admin socket's services, each a thin call into QnetAdmin, the reconciler or the transport. */
@injectable()
export class AdminHandlers {
  constructor(
    @inject(QnetAdmin) private readonly qnet: QnetAdmin,
    @inject(Reconciler) private readonly reconciler: Reconciler,
    @inject(EventLog) private readonly events: EventLog,
    @inject(Transport) private readonly transport: Transport,
  ) {}

  get handlers(): ServiceHandler[] {
    const { qnet, reconciler, events, transport } = this;
    return [
      handler(admin.ListQubes, () => ({ qubes: qnet.list() })),
      handler(admin.GetQube, (req) => qnet.get(req.name)),
      handler(admin.CreateQube, (req) => qnet.create(req)),
      handler(admin.RemoveQube, (req) => qnet.change({ kind: 'remove', name: req.name })),
      handler(admin.SetPower, (req) =>
        qnet.change({ kind: 'set-power', name: req.name, power: req.power, force: req.force === true }),
      ),
      handler(admin.SetProperty, (req) => qnet.change(propertyChange(req))),
      handler(admin.ResetProperty, (req) =>
        qnet.change({ kind: 'reset-property', name: req.name, property: req.property }),
      ),
      handler(admin.SetFeature, (req) =>
        qnet.change({ kind: 'set-feature', name: req.name, feature: req.feature, value: req.value }),
      ),
      handler(admin.CheckFeatureWithNetvm, (req) => ({ value: qnet.checkWithNetvm(req.name, req.feature) })),
      handler(admin.SetFirewall, (req) => qnet.setFirewall(req.name, req.rules, req.expectedRevision)),
      handler(admin.Push, (req) => qnet.push(req.qubes)),
      handler(admin.Status, () => ({ rows: qnet.status() })),
      handler(admin.WaitPushes, (req) => reconciler.wait(req.targets, req.timeoutMs)),
      handler(admin.PollEvents, (req) => events.after(req.after, req.timeoutMs)),
      handler(admin.RelayCall, async (req) => {
        checkServiceAndArgument(req.service);
        const reply = await transport.invoke(req.target, req.service, req.payload, {
          timeoutMs: req.timeoutMs,
          maxReplyBytes: req.maxReplyBytes,
        });
        return { reply };
      }),
    ];
  }
}
