#!/usr/bin/env bash
# Installs the Debian packages the tests use, only those missing. Idempotent and quiet when all are there.
set -euo pipefail
packages=(openssh-server openssh-client mariadb-server mariadb-client rabbitmq-server chromium sudo cmark-gfm ansible-core openipmi ipmitool)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "== Debian packages present: ${packages[*]}"
  exit 0
fi
echo "== apt-get install ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
