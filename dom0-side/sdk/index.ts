/** The dom0 SDK: what `require('qnet')` gives a dom0 script. */
// Framework classes carry tsyringe decorators, which need the metadata polyfill before they load.
import 'reflect-metadata';
export { Qubes, type ConnectOptions } from './qubes';
export {
  Domain,
  DomainFeatures,
  DomainFirewall,
  type NetworkView,
  type RuleInput,
  type SettableProperty,
} from './domain';
export { DomainCollection, type CreateOptions } from './domain-collection';
export { Rule } from './firewall-rule';
export { FirewallRuleError } from '../firewall/firewall-rule-error';
export { PushBatch, type PushReport, type WaitOptions } from './push-batch';
export {
  QnetdEvents,
  type EventListener,
  type EventName,
  type PushEventName,
  type QubeEventListener,
  type QubeEventName,
} from './qnetd-events';
export {
  ChangeConflictError,
  InvalidChangeError,
  PushFailedError,
  QnetdError,
  QnetdUnavailableError,
  QubeNotFoundError,
  RevisionConflictError,
} from './sdk-errors';
export type {
  AdminEvent,
  PushResult,
  PushStatus,
  PushTarget,
  QnetdEvent,
  QubeEvent,
  QubeInfo,
} from '../../services/admin/admin-schemas';
export { defineService } from '../../shared/contract/define-service';
export { RemoteServiceError, PolicyDeniedError, NoSuchServiceError } from '../../shared/errors/client-errors';
export { QnetError } from '../../shared/errors/qnet-error';
