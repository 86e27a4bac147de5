# Helpers shared by qnet-agent-maint and qnet-dom0-maint (the build inlines
# this file into both). ROOT is $DPKG_ROOT when dpkg runs the maintainer
# scripts without chroot (--force-script-chrootless, as the packaging tests
# do), else empty: every path below is prefixed with it, and the running
# system (systemd, services) is touched only when ROOT is empty.
ROOT=${DPKG_ROOT:-}

live_systemd() { [ -z "$ROOT" ] && [ -d /run/systemd/system ]; }

systemctl_root() {
  if [ -n "$ROOT" ]; then systemctl --root="$ROOT" "$@"; else systemctl "$@"; fi
}

# Units follow the presets (75-qnet-*.preset) at first install, as Qubes' own
# packages do; a unit the user disabled stays disabled on upgrade.
preset_units() {
  command -v systemctl >/dev/null 2>&1 || return 0
  live_systemd && systemctl daemon-reload
  systemctl_root preset "$@" >/dev/null 2>&1 || echo "qnet: systemctl preset $* failed" >&2
}

disable_units() {
  command -v systemctl >/dev/null 2>&1 || return 0
  if live_systemd; then systemctl disable --now "$@" >/dev/null 2>&1 || true
  else systemctl_root disable "$@" >/dev/null 2>&1 || true
  fi
}

reload_systemd() { live_systemd && systemctl daemon-reload; return 0; }

try_restart() { live_systemd && systemctl try-restart "$@"; return 0; }

# State survives upgrades. Its format is stamped in DIR/.qnet-state-format (a
# dot file: neither the agent's document store nor qnetd's store read it);
# an upgrade runs convert_state FROM TO for every step up to STATE_FORMAT.
# A newer stamp than this package knows (a downgrade) is left alone, loudly.
migrate_state() {
  dir=$ROOT$1 want=$2
  [ -d "$dir" ] || mkdir -p -m 0755 "$dir"
  stamp=$dir/.qnet-state-format
  have=$want
  [ -f "$stamp" ] && have=$(head -c 16 "$stamp" | tr -cd 0-9)
  [ -n "$have" ] || have=1
  if [ "$have" -gt "$want" ]; then
    echo "qnet: $1 has state format $have, newer than this package's $want: left as it is" >&2
    return 0
  fi
  while [ "$have" -lt "$want" ]; do
    convert_state "$dir" "$have" "$((have + 1))" || { echo "qnet: converting $1 to format $((have + 1)) failed" >&2; return 1; }
    have=$((have + 1))
  done
  echo "$want" > "$stamp.new" && mv -f "$stamp.new" "$stamp"
}
