#!/usr/bin/env bash
# Installs the Debian bookworm (OpenStack Zed) packages the real OpenStack lab of `npm run test:openstack`
# needs, only those missing. Idempotent and quiet when all are there.
# Package scripts must start nothing (the lab starts every daemon by hand on its own ports): a
# /usr/sbin/policy-rc.d that answers 101 is kept while apt runs, created only if there is none.
set -euo pipefail
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
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
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

log=$(mktemp /tmp/opsdeck-openstack-apt.XXXXXX.log)
# Another apt or dpkg on the machine holds the lock for a while: wait for it rather than fail.
apt_retry() {
  local attempt
  for attempt in $(seq 1 60); do
    if "$@" >>"$log" 2>&1; then return 0; fi
    if tail -5 "$log" | grep -qiE 'could not get lock|is another process using it|dpkg frontend lock'; then
      sleep 5
      continue
    fi
    echo "apt failed: $*; the last lines of $log:" >&2
    tail -20 "$log" >&2
    return 1
  done
  echo "apt still locked by another process after 5 minutes: $*" >&2
  return 1
}
echo "== apt-get install ${missing[*]}"
started=$(date +%s)
apt_retry $SUDO apt-get update -qq
apt_retry $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confold "${missing[@]}"
echo "== OpenStack lab packages installed in $(( $(date +%s) - started )) s (log: $log)"
rm -f "$log"
