import { join } from 'node:path';

/**
 * Upstream's qubes-firewall gives a hanging script no bound at all (systemd's start timeout then fails
 * the whole service). Ours: each script gets this long, then it and everything it started are killed.
 */
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

/** Where Qubes keeps the firewall customization points (qubesagent/firewall.py) and the flags that gate them. */
export interface FirewallHookPaths {
  /** Present in a qube whose `qubes-firewall` service is on: network-providing qubes by default. */
  readonly serviceFlag: string;
  /** Present when the `custom-persist` service is on: /rw is then not trusted to hold scripts. */
  readonly customPersistFlag: string;
  /** The template's scripts, run first. */
  readonly systemDir: string;
  /** The qube's own scripts, run next (not with custom-persist). */
  readonly userDir: string;
  /** Run last (not with custom-persist). */
  readonly userScript: string;
}

/** The paths under `root` ('' on a real qube). */
export function firewallHookPaths(root: string): FirewallHookPaths {
  const at = (path: string) => (root ? join(root, path) : path);
  return {
    serviceFlag: at('/run/qubes-service/qubes-firewall'),
    customPersistFlag: at('/run/qubes-service/custom-persist'),
    systemDir: at('/etc/qubes/qubes-firewall.d'),
    userDir: at('/rw/config/qubes-firewall.d'),
    userScript: at('/rw/config/qubes-firewall-user-script'),
  };
}
