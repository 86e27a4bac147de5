import { QnetError } from '../../shared/errors/qnet-error';

/** A rule line that Qubes's firewall would refuse; the message says which element and why. */
export class FirewallRuleError extends QnetError {
  readonly code = 'BAD_REQUEST';
}

/** A rule Qubes accepts but that cannot travel as a `qubes.FirewallSync` rule (e.g. two destinations). */
export class UnrepresentableRuleError extends QnetError {
  readonly code = 'BAD_REQUEST';
}
