#!/usr/bin/env bash
# Builds the Debian package (cargo deb) and installs it on a clean Debian 12: a minimal
# debootstrap in a folder, entered with chroot. Checks that dpkg -i (with apt-get for the
# dependencies) makes the service's user and files, that the systemd unit's own command, run
# as that user in /var/lib/kvalitet, serves the site on 127.0.0.1:8080, that
# `systemd-analyze verify` accepts the unit, that `nginx -t` accepts the site file, and then
# that `systemctl start kvalitet` serves and `systemctl stop` stops it cleanly, with the
# clean Debian's systemd as PID 1 of PID and mount namespaces of its own (unshare), with
# the unit exactly as shipped.
# Usage: packaging/check.sh [ROOT]   (ROOT: where the clean Debian goes; kept for reuse,
# default /tmp/kvalitet-debian). Needs root; installs cargo-deb, debootstrap, nginx when missing,
# and adduser, curl and systemd (for systemd-analyze) inside the clean Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-/tmp/kvalitet-debian}
target=${CARGO_TARGET_DIR:-target}

command -v cargo-deb >/dev/null || cargo install cargo-deb --locked
command -v debootstrap >/dev/null && command -v nginx >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq debootstrap nginx; } >&2
cargo deb -p kvalitet-cli --quiet
deb=$(ls -t "$target"/debian/kvalitet_*.deb | head -1)
echo "built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb -c "$deb" | awk '{print $6}' | grep -E 'usr/bin/kvalitet$|kvalitet.toml$|sites-available/kvalitet$|kvalitet.service$' \
    | sort | tee /dev/stderr | wc -l | grep -qx 4 || { echo "a file is missing from the package" >&2; exit 1; }

[ -x "$root/usr/bin/apt-get" ] || debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
mounted=()
systemd_pid=
cleanup() {
    [ -n "$systemd_pid" ] && kill -9 "$systemd_pid" 2>/dev/null
    uid=$(chroot "$root" id -u kvalitet 2>/dev/null) && pkill -9 -U "$uid" 2>/dev/null || true
    for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
for fs in proc sys dev; do mount --bind "/$fs" "$root/$fs" && mounted+=("$root/$fs"); done
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/kvalitet.deb"
# dpkg -i as the issue asks; its dependencies (adduser) come from apt, as `apt-get -f` would.
chroot "$root" sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq adduser curl systemd >/dev/null'
# A root kept from an earlier check is made clean again first.
chroot "$root" sh -c 'dpkg --purge kvalitet >/dev/null 2>&1; rm -rf /var/lib/kvalitet /etc/kvalitet; deluser --system kvalitet >/dev/null 2>&1' || true
chroot "$root" dpkg -i /tmp/kvalitet.deb
chroot "$root" getent passwd kvalitet
chroot "$root" stat -c '%U:%G %a %n' /etc/kvalitet/kvalitet.toml /usr/bin/kvalitet /var/lib/kvalitet
exec_start=$(sed -n 's/^ExecStart=//p' "$root/usr/lib/systemd/system/kvalitet.service")
echo "ExecStart: $exec_start"
chroot "$root" runuser -u kvalitet -- sh -c "cd /var/lib/kvalitet && exec $exec_start" >"$root/tmp/serve.log" 2>&1 &
for _ in $(seq 300); do
    chroot "$root" curl -sf -o /dev/null http://127.0.0.1:8080/ && break
    sleep 0.2
done
code=$(chroot "$root" curl -s -o /tmp/start.html -w '%{http_code}' http://127.0.0.1:8080/)
[ "$code" = 200 ] || { cat "$root/tmp/serve.log" >&2; echo "the installed service answered $code" >&2; exit 1; }
grep -q '<html lang="sv"' "$root/tmp/start.html" || { echo "not kvalitet's start page" >&2; exit 1; }
chroot "$root" ls -l /var/lib/kvalitet
echo "the installed kvalitet serves its start page on 127.0.0.1:8080 as the user kvalitet"

chroot "$root" systemd-analyze verify /usr/lib/systemd/system/kvalitet.service
echo "systemd-analyze verify: the unit is accepted"
mkdir -p "$root/tmp/nginx"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$root/tmp/nginx/key.pem" -out "$root/tmp/nginx/cert.pem" \
    -days 1 -subj /CN=kvalitet.example.se 2>/dev/null
sed -e "s#/etc/letsencrypt/live/kvalitet.example.se/fullchain.pem#$root/tmp/nginx/cert.pem#" \
    -e "s#/etc/letsencrypt/live/kvalitet.example.se/privkey.pem#$root/tmp/nginx/key.pem#" \
    "$root/etc/nginx/sites-available/kvalitet" >"$root/tmp/nginx/site.conf"
printf 'events {}\nhttp {\n    include %s;\n}\n' "$root/tmp/nginx/site.conf" >"$root/tmp/nginx/nginx.conf"
nginx -t -c "$root/tmp/nginx/nginx.conf"

# systemctl start: the server started by hand above goes first, then systemd boots.
pkill -9 -U "$(chroot "$root" id -u kvalitet)" || true
sleep 1
# The root must be a mount point of its own: systemd makes each service's namespace (for
# ProtectSystem, PrivateTmp…) from it, and fails with 226/NAMESPACE otherwise. systemd
# mounts its own /proc, /sys and /dev, for its PID namespace.
unshare --pid --fork --mount sh -c 'mount --make-rprivate / && mount --bind "$1" "$1" && exec chroot "$1" /lib/systemd/systemd --system' \
    sh "$root" >"$root/tmp/systemd.log" 2>&1 &
for _ in $(seq 100); do
    systemd_pid=$(pgrep -n -f '^/lib/systemd/systemd --system' || true)
    [ -n "$systemd_pid" ] && break
    sleep 0.1
done
[ -n "$systemd_pid" ] || { cat "$root/tmp/systemd.log" >&2; echo "systemd did not start" >&2; exit 1; }
in_debian() { timeout 30 nsenter -t "$systemd_pid" -m -p -r -w "$@"; }
for _ in $(seq 100); do
    in_debian systemctl is-system-running 2>/dev/null | grep -qE 'starting|running|degraded' && break
    sleep 0.2
done
served() {
    for _ in $(seq 50); do
        [ "$(curl -s -o "$root/tmp/start.html" -w '%{http_code}' http://127.0.0.1:8080/)" = 200 ] && return 0
        sleep 0.2
    done
    return 1
}
# The package enabled the unit, so systemd started it at boot: stopped first, so that the
# start below is the one that serves.
in_debian systemctl stop kvalitet
in_debian systemctl start kvalitet
served || { in_debian systemctl status kvalitet --no-pager >&2; echo "systemctl start kvalitet did not serve" >&2; exit 1; }
grep -q '<html lang="sv"' "$root/tmp/start.html" || { echo "not kvalitet's start page" >&2; exit 1; }
in_debian systemctl show kvalitet -p User -p NoNewPrivileges -p ProtectSystem -p CapabilityBoundingSet
echo "systemctl start kvalitet: the service serves its start page"
in_debian systemctl stop kvalitet
in_debian journalctl -u kvalitet --no-pager -o cat | grep -F 'kvalitet stopped' | tail -1 | grep . \
    || { echo "kvalitet did not say it stopped" >&2; exit 1; }
[ "$(in_debian systemctl show kvalitet -p Result --value)" = success ] || { echo "systemctl stop did not end it cleanly" >&2; exit 1; }
echo "systemctl stop kvalitet: the requests in flight were answered and it stopped cleanly"
echo "package check passed"
