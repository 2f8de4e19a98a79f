#!/bin/bash
# meson install step: puts the default topology at <sysconfdir>/vsw/vsw.yaml
# unless a file is there already (an admin's config survives reinstalls).
#   install-default-config.sh <installed default> <config path>   (DESTDIR honoured)
set -euo pipefail
src="${DESTDIR:-}$1" dst="${DESTDIR:-}$2"
if [ -e "$dst" ]; then
    echo "vsw: keeping $2"
else
    install -D -m 0644 "$src" "$dst"
    echo "vsw: installed the default topology at $2"
fi
