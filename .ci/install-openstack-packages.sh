#!/usr/bin/env bash
# Installs the Debian bookworm (OpenStack Zed) packages the real OpenStack lab of `npm run test:openstack`
# needs, only those missing. Idempotent and quiet when all are there.
# Package scripts must start nothing (the lab starts every daemon by hand on its own ports): a
# /usr/sbin/policy-rc.d that answers 101 is kept while apt runs, created only if there is none.
set -euo pipefail
. "$(dirname "$0")/apt-packages.sh"
packages=(
  mariadb-server mariadb-client rabbitmq-server
  keystone placement-api glance-api neutron-server
  nova-api nova-conductor nova-scheduler nova-compute
  # nova-compute depends on a nova-compute-hypervisor; ironic's needs neither libvirt nor qemu (unused here).
  nova-compute-ironic
  python3-openstackclient python3-novaclient python3-pymysql
  uwsgi-core uwsgi-plugin-python3
  openssh-server openssh-client sudo curl iproute2 procps psmisc util-linux
)
mapfile -t missing < <(missing_packages "${packages[@]}")
if [ ${#missing[@]} -eq 0 ]; then
  echo "== OpenStack lab packages present (${#packages[@]})"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && $SUDO rm -f "$policy"' EXIT

apt_install "${missing[@]}"
