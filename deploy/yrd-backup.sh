#!/usr/bin/env bash
# Back up this machine's yrd node while it runs (docs/OPERATIONS.md, "Backups on a schedule").
#
#   yrd-backup.sh           `yrd backup` of the running node, copy off the machine, prune
#   yrd-backup.sh --check   only say whether stopping the node now would be safe (for upgrades
#                           and moves, which stop it)
#
# The running node writes the backup itself (`yrd backup` asks it through its admin socket), so
# the node is never stopped and the chain keeps committing. The backup runs as the node's user:
# only that user can open the socket. If the node is not running, `yrd backup` reads the
# database directly. A failed backup exits 1, so the timer's failure shows up in monitoring.
#
# Runs as root (it creates the backup folder and switches to the node's user).
# Needs curl and jq for --check. Settings come from the environment (yrd-backup.service sets none):
set -euo pipefail

YRD=${YRD:-/usr/local/bin/yrd}
CONFIG=${YRD_CONFIG:-/etc/yrd/node.toml}
RPC=${YRD_RPC:-http://127.0.0.1:8645}
NODE_USER=${YRD_USER:-yrd}
# Same filesystem as the data directory: the checkpoint is then hard links, taken in seconds
# (outside the data directory itself: the node refuses a backup folder inside it).
BACKUP_DIR=${YRD_BACKUP_DIR:-/var/lib/yrd/backups}
KEEP=${YRD_BACKUP_KEEP:-7}
MAX_HEAD_AGE_SECS=${YRD_MAX_HEAD_AGE_SECS:-60}
# Optional rsync destination for a copy off this machine (user@host:/path).
OFFSITE=${YRD_BACKUP_OFFSITE:-}

rpc() {
    curl -fsS --max-time 10 "$RPC" -H 'content-type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":[]}"
}

# Sets REASON to why stopping the node now is unsafe (empty if it is safe) and HEIGHT to its head.
REASON=""
HEIGHT=0
check_safe() {
    local status peers role block_ms age others live quorum
    if ! status=$(rpc node_getStatus); then
        REASON="the node does not answer at $RPC"
        return
    fi
    if ! peers=$(rpc net_getPeers); then
        REASON="net_getPeers failed at $RPC"
        return
    fi
    role=$(jq -r '.result.role' <<<"$status")
    HEIGHT=$(jq -r '.result.head.height' <<<"$status")
    block_ms=$(jq -r '.result.head.blockTimeMs' <<<"$status")
    age=$(($(date +%s) - block_ms / 1000))
    if ((age > MAX_HEAD_AGE_SECS)); then
        REASON="the head (height $HEIGHT) is ${age}s old: the chain is not committing"
        return
    fi
    if [[ $role == validator ]]; then
        others=$(jq '[.result[] | select(.validator)] | length' <<<"$peers")
        live=$(jq '[.result[] | select(.validator and .connected)] | length' <<<"$peers")
        quorum=$((2 * (others + 1) / 3 + 1))
        if ((live < quorum)); then
            REASON="$live of the other $others validators are connected; $quorum must stay live while this one is stopped"
        fi
    fi
}

if [[ ${1:-} == --check ]]; then
    check_safe
    if [[ -n $REASON ]]; then
        echo "not safe to stop the node now: $REASON" >&2
        exit 1
    fi
    echo "safe to stop the node now (head $HEIGHT)"
    exit 0
fi

out="$BACKUP_DIR/$(date -u +%Y%m%dT%H%M%SZ)"
install -d -o "$NODE_USER" -g "$NODE_USER" -m 0700 "$BACKUP_DIR"

if ! runuser -u "$NODE_USER" -- "$YRD" backup --config "$CONFIG" --out "$out"; then
    rm -rf -- "$out"
    echo "yrd backup failed" >&2
    exit 1
fi

if [[ -n $OFFSITE ]]; then
    rsync -a -- "$out" "$OFFSITE/"
fi

# Keep the newest $KEEP finished backups (a finished backup has its manifest).
mapfile -t finished < <(find "$BACKUP_DIR" -mindepth 2 -maxdepth 2 -name manifest.json -printf '%h\n' | sort)
if ((${#finished[@]} > KEEP)); then
    for old in "${finished[@]:0:${#finished[@]}-KEEP}"; do
        rm -rf -- "$old"
    done
fi
