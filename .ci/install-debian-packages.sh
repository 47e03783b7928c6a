#!/usr/bin/env bash
# Installs the Debian packages the tests use, only those missing. Idempotent and quiet when all are there.
set -euo pipefail
. "$(dirname "$0")/apt-packages.sh"
packages=(openssh-server openssh-client mariadb-server mariadb-client rabbitmq-server chromium sudo cmark-gfm ansible-core openipmi ipmitool)
mapfile -t missing < <(missing_packages "${packages[@]}")
if [ ${#missing[@]} -eq 0 ]; then
  echo "== Debian packages present: ${packages[*]}"
  exit 0
fi
apt_install "${missing[@]}"
