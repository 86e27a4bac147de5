#!/bin/sh
# qrexec executable fallback for @SERVICE@: used while the agent's socket
# (/run/qubes-rpc/@SERVICE@) is absent. Same handler, one process per call.
exec @AGENT_BIN@ service '@SERVICE@' "$@"
