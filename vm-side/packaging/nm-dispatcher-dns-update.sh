#!/bin/sh
# NetworkManager dispatcher hook of a network-providing qube (sys-net).
# - An uplink that comes up joins interface group 1, as upstream's setup-ip
#   does for eth0 (users' own rules may match it). NAT does not depend on it:
#   the base ruleset masquerades everything not leaving through a client vif
#   (group 2) or lo.
# - When the uplink's DNS servers may have changed, point DNS1/DNS2 of the
#   clients at them (qubes.DnsUpdate, applied locally).
case "$1" in
  vif*|lo|'') ;;
  *) [ "$2" = up ] && ip link set dev "$1" group 1 ;;
esac
case "$2" in
  up|down|dhcp4-change|dhcp6-change|connectivity-change|dns-change)
    QNET_STATE_DIR='@STATE_DIR@' QNET_RUN_DIR='@RUN_DIR@' exec @AGENT_BIN@ dns-update --from-system
    ;;
esac
exit 0
