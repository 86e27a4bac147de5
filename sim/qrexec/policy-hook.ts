import { token } from '../../shared/di/token';

export interface PolicyQuery {
  /** From the socket the caller used: never from its bytes. */
  readonly source: string;
  /** As the caller asked: a name, `@default`, `@adminvm`, `@dispvm`… */
  readonly target: string;
  readonly service: string;
  /** Empty when no `+ARG` was given. */
  readonly argument: string;
}

export type PolicyVerdict =
  { readonly allow: true; readonly target: string } | { readonly allow: false; readonly reason: string };

/** Where the router asks whether a call may go through. The policy engine plugs in here. */
export interface PolicyHook {
  evaluate(query: PolicyQuery): PolicyVerdict | Promise<PolicyVerdict>;
}
export const PolicyHook = token<PolicyHook>('PolicyHook');

/** Until a policy is configured, nothing is allowed. */
export class DenyAllPolicy implements PolicyHook {
  evaluate(): PolicyVerdict {
    return { allow: false, reason: 'no policy configured' };
  }
}
