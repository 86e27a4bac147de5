#!/bin/sh
# NetworkManager dispatcher hook: when the uplink's DNS servers may have
# changed, point DNS1/DNS2 of the clients at them (qubes.DnsUpdate, applied
# locally).
case "$2" in
  up|down|dhcp4-change|dhcp6-change|connectivity-change|dns-change)
    QNET_STATE_DIR='@STATE_DIR@' QNET_RUN_DIR='@RUN_DIR@' exec @AGENT_BIN@ dns-update --from-system
    ;;
esac
exit 0
