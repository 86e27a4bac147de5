# After qnet-agent's files are gone (deb postrm remove, rpm %postun 0): the
# snapshot the package built, and the /run/qubes-rpc links tmpfiles made to
# the agent socket (a dangling link would make qrexec report "no service"
# instead of finding a fallback of another package).
ROOT=${DPKG_ROOT:-}
rm -f "$ROOT/usr/lib/qnet/qnet-agent.blob" "$ROOT/usr/lib/qnet/qnet-agent.blob.new"
for link in "$ROOT"/run/qubes-rpc/*; do
  [ -L "$link" ] && [ "$(readlink "$link")" = @AGENT_SOCKET@ ] && rm -f "$link"
done
rmdir "$ROOT/usr/lib/qnet" 2>/dev/null || true
if [ -z "$ROOT" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
