#!/bin/sh
# qrexec executable fallback for @SERVICE@: used while the agent's socket
# (/run/qubes-rpc/@SERVICE@) is absent. Same handler, one process per call.
# qrexec passes the service argument, when there is one, as $1: it goes
# after `--`, so an argument that starts with '-' is never taken for an option.
# The V8 startup snapshot holds the agent already loaded, so a call starts
# about as fast as bare node. Node refuses a snapshot built by another node
# version (exit 14, before reading stdin): then the plain entry runs instead.
if [ -r '@AGENT_BLOB@' ]; then
  node --snapshot-blob '@AGENT_BLOB@' service '@SERVICE@' -- "$@"
  rc=$?
  [ "$rc" -ne 14 ] && exit "$rc"
fi
exec @AGENT_BIN@ service '@SERVICE@' -- "$@"
