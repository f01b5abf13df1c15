#!/usr/bin/env bash
# packaging/test-install.sh DIST VERSION UPGRADE — installs the amd64 menwei package and
# menwei-models from DIST on this machine and checks what they set up, reinstalls and upgrades
# (to the package UPGRADE, a later version with another sample configuration) over an edited
# configuration, then purges them (make test-deb runs it after deb_test.go). It needs root (dpkg -i, useradd): as another user it says so and does
# nothing. It refuses to run where menwei is installed or its user or directories exist, so it
# never touches a real installation, and it leaves the machine as it found it: on any exit it
# purges the packages and removes the user, group and directories that it made (postrm keeps
# them on purge, on purpose; see docs/install.md).
set -euo pipefail
usage="usage: test-install.sh DIST VERSION UPGRADE.deb"
DIST=${1:?$usage}
VERSION=${2:?$usage}
UPGRADE=${3:?$usage}
DEB=$DIST/menwei_${VERSION}_amd64.deb
MODELS=$DIST/menwei-models_${VERSION}_all.deb
CONF=/etc/menwei/menwei.yaml

if [ "$(id -u)" != 0 ]; then
	echo "test-install: not root: the install test (dpkg -i, the user menwei, purge) is NOT run; run make test-deb as root (CI does)"
	exit 0
fi

step() { echo "test-install: $*"; }
fail() {
	echo "test-install: FAIL: $*" >&2
	exit 1
}
# want WHAT GOT EXPECTED
want() {
	[ "$2" = "$3" ] || fail "$1: $2, want $3"
	step "ok  $1: $2"
}

for p in menwei menwei-models; do
	if dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null | grep -qv '^not-installed$'; then
		fail "$p is installed on this machine; the test would remove it (dpkg --purge $p first if it is a test's leftover)"
	fi
done
for d in /var/lib/menwei /etc/menwei; do
	[ ! -e "$d" ] || fail "$d exists; the test would remove it"
done
getent passwd menwei >/dev/null && fail "a user menwei exists; the test would remove it"
getent group menwei >/dev/null && fail "a group menwei exists; the test would remove it"
had_gpio=$(getent group gpio >/dev/null && echo yes || echo no)

cleanup() {
	step "cleaning up: purge, then the user, group and directories postrm keeps"
	dpkg --purge menwei menwei-models >/dev/null 2>&1 || true
	if getent passwd menwei >/dev/null; then userdel menwei; fi
	if getent group menwei >/dev/null; then groupdel menwei; fi
	if [ "$had_gpio" = no ] && getent group gpio >/dev/null; then groupdel gpio; fi
	rm -rf /var/lib/menwei /etc/menwei
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
step "apt-get install $DEB $MODELS (Depends from the machine's packages)"
log=$(mktemp)
apt-get install -y -q --no-install-recommends "./$DEB" "./$MODELS" >"$log" 2>&1 ||
	{ cat "$log"; fail "apt-get install"; }
grep "^menwei:" "$log" | sed 's/^/test-install:   postinst said: /'
want "dpkg status of menwei" "$(dpkg-query -W -f '${db:Status-Status} ${Version}' menwei)" "installed $VERSION"
want "dpkg status of menwei-models" "$(dpkg-query -W -f '${db:Status-Status}' menwei-models)" "installed"

want "user menwei: home, shell" "$(getent passwd menwei | cut -d: -f6,7)" "/var/lib/menwei:/usr/sbin/nologin"
uid=$(id -u menwei)
[ "$uid" -lt 1000 ] || fail "user menwei has uid $uid, not a system uid"
step "ok  user menwei is a system user (uid $uid)"
want "groups of menwei" "$(id -nG menwei | tr ' ' '\n' | sort | tr '\n' ' ')" "dialout gpio menwei "

mode() { stat -c '%a %U:%G' "$1"; }
want "/var/lib/menwei" "$(mode /var/lib/menwei)" "750 menwei:menwei"
want "/var/lib/menwei/keys" "$(mode /var/lib/menwei/keys)" "700 menwei:menwei"
want "/etc/menwei" "$(mode /etc/menwei)" "750 root:menwei"
want "$CONF" "$(mode $CONF)" "640 root:menwei"
scbk=/var/lib/menwei/keys/east-gate-in.scbk
want "$scbk (made by postinst)" "$(mode $scbk)" "600 menwei:menwei"
grep -Eqx '[0-9a-f]{32}' $scbk || fail "$scbk does not hold 32 hex digits"
step "ok  $scbk holds a 128-bit key"
for b in menweid menweictl menwei-emu; do
	want "/usr/bin/$b" "$(mode /usr/bin/$b)" "755 root:root"
done
want "/lib/systemd/system/menweid.service" "$(mode /lib/systemd/system/menweid.service)" "644 root:root"
want "/lib/udev/rules.d/60-menwei-serial.rules" "$(mode /lib/udev/rules.d/60-menwei-serial.rules)" "644 root:root"
for m in dlib_face_recognition_resnet_model_v1.dat shape_predictor_5_face_landmarks.dat mmod_human_face_detector.dat; do
	want "/usr/share/menwei/models/$m" "$(mode /usr/share/menwei/models/$m)" "644 root:root"
done
[ -d /run/systemd/system ] || step "note: systemd is not running here, so postinst enabled nothing and the unit is not started (a gate box runs systemd)"

out=$(systemd-analyze verify /lib/systemd/system/menweid.service 2>&1) || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
step "ok  systemd-analyze verify /lib/systemd/system/menweid.service: no complaint"

out=$(menweid -check -config $CONF) || fail "menweid -check -config $CONF: $out"
step "ok  menweid -check -config $CONF (as root) exits 0:"
echo "$out" | sed 's/^/test-install:       /'
runuser -u menwei -- menweid -check -config $CONF >/dev/null ||
	fail "menweid -check as the user menwei (what ExecStartPre runs)"
step "ok  menweid -check as the user menwei exits 0 (it can read the config and the OSDP key)"

sum=$(md5sum <$scbk)
echo "# edited by test-install.sh" >>$CONF
sed -i 's|^  listen: 127.0.0.1:8080 |  listen: 127.0.0.1:8081 |' $CONF
grep -q '^  listen: 127.0.0.1:8081 ' $CONF || fail "could not edit $CONF"
step "reinstall over an edited $CONF (dpkg -i --force-confold)"
dpkg -i --force-confold "$DEB" >/dev/null
grep -q '^  listen: 127.0.0.1:8081 ' $CONF && grep -qx '# edited by test-install.sh' $CONF ||
	fail "the reinstall did not keep the edited $CONF"
step "ok  the edited $CONF is kept"
want "$CONF after the reinstall" "$(mode $CONF)" "640 root:menwei"
# compared, never printed: not even a digest of a key goes into a log
[ "$(md5sum <$scbk)" = "$sum" ] || fail "$scbk changed in the reinstall"
step "ok  $scbk after the reinstall: the same key"
menweid -check -config $CONF >/dev/null || fail "menweid -check after the reinstall"
step "ok  menweid -check after the reinstall exits 0"

step "upgrade to $UPGRADE over the edited $CONF (dpkg -i --force-confold)"
out=$(dpkg -i --force-confold "$UPGRADE" 2>&1) || fail "dpkg -i $UPGRADE: $out"
echo "$out" | sed -n 's/^ *==> /test-install:   dpkg said: /p'
want "dpkg status of menwei" "$(dpkg-query -W -f '${db:Status-Status} ${Version}' menwei)" "installed $VERSION+test1"
grep -q '^  listen: 127.0.0.1:8081 ' $CONF && grep -qx '# edited by test-install.sh' $CONF ||
	fail "the upgrade did not keep the edited $CONF"
step "ok  the edited $CONF is kept"
grep -qx "# the next version's sample (make test-deb)" $CONF.dpkg-dist ||
	fail "no $CONF.dpkg-dist with the new sample"
step "ok  the new sample is beside it as $CONF.dpkg-dist"
want "$CONF after the upgrade" "$(mode $CONF)" "640 root:menwei"
[ "$(md5sum <$scbk)" = "$sum" ] || fail "$scbk changed in the upgrade"
step "ok  $scbk after the upgrade: the same key"
menweid -check -config $CONF >/dev/null || fail "menweid -check after the upgrade"
step "ok  menweid -check after the upgrade exits 0"

step "dpkg --remove menwei"
dpkg --remove menwei >/dev/null
[ ! -e /usr/bin/menweid ] && [ ! -e /lib/systemd/system/menweid.service ] && [ ! -e /lib/udev/rules.d/60-menwei-serial.rules ] ||
	fail "files left after remove"
[ -f $CONF ] || fail "$CONF removed by remove (only purge removes it)"
step "ok  binaries, unit and udev rule gone; $CONF and /var/lib/menwei kept"

step "dpkg --purge menwei menwei-models"
dpkg --purge menwei menwei-models | sed 's/^/test-install:   dpkg said: /'
[ ! -e /etc/menwei ] || fail "/etc/menwei left after purge: $(ls -A /etc/menwei)"
[ ! -e /usr/share/menwei ] || fail "/usr/share/menwei left after purge"
want "dpkg status of menwei after purge" "$(dpkg-query -W -f '${db:Status-Status}' menwei 2>/dev/null || echo not-installed)" "not-installed"
[ -f $scbk ] && getent passwd menwei >/dev/null || fail "purge removed /var/lib/menwei or the user (postrm keeps them)"
step "ok  /etc/menwei gone; /var/lib/menwei and the user menwei kept, as documented"
step "all checks passed"
cleanup
trap - EXIT
if getent passwd menwei >/dev/null || getent group menwei >/dev/null || [ -e /var/lib/menwei ] ||
	{ [ "$had_gpio" = no ] && getent group gpio >/dev/null; }; then
	fail "the clean-up left the user or a group menwei, gpio or /var/lib/menwei"
fi
step "ok  the machine is as the test found it"
