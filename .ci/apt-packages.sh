# Shared by .ci/install-*-packages.sh (sourced, not run): install the Debian packages that are missing.
#   missing_packages NAME...   prints the names that are not installed, one a line
#   apt_install NAME...        apt-get update, then apt-get install --no-install-recommends of the names,
#                              keeping existing config files; waits (up to 5 min) for another apt or dpkg
#                              that holds the lock instead of failing; on failure prints the log's tail.
# Runs apt through sudo when not root.

missing_packages() {
  local package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || echo "$package"
  done
}

apt_install() {
  local sudo="" log started
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log=$(mktemp /tmp/opsdeck-apt.XXXXXX.log)
  started=$(date +%s)
  echo "== apt-get install $*"
  _apt_retry "$log" $sudo apt-get update -qq || return 1
  _apt_retry "$log" $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confold "$@" || return 1
  echo "== installed in $(( $(date +%s) - started )) s"
  rm -f "$log"
}

_apt_retry() {
  local log=$1 attempt
  shift
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
