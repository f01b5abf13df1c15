#!/bin/sh
# packaging/version.sh — prints the Debian version of the packages make deb builds.
#
#   VERSION=1.2.0 sh packaging/version.sh   # an explicit version (a leading v is dropped)
#   sh packaging/version.sh                 # from git describe --tags --always --dirty:
#       v1.2.0                -> 1.2.0
#       v1.2.0-5-gabc1234     -> 1.2.0+git20261201.5.abc1234   (after the tag: sorts above 1.2.0)
#       abc1234 (no tag)      -> 0.0.0~git20261201.abc1234     (sorts below any release)
#       ...-dirty             -> ... .dirty appended
# The date is the commit's (UTC), so a rebuild of one commit gives the same version. What is
# left is reduced to the characters a Debian version may hold: a - becomes ~ (v1.3.0-rc1 is 1.3.0~rc1,
# below 1.3.0), anything else but 0-9 A-Z a-z . + ~ becomes a dot.
set -eu
v=${VERSION:-}
if [ -z "$v" ]; then
	d=$(git describe --tags --always --dirty)
	date=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d)
	dirty=""
	case $d in *-dirty) dirty=.dirty; d=${d%-dirty} ;; esac
	if expr "$d" : '.*-[0-9][0-9]*-g[0-9a-f][0-9a-f]*$' >/dev/null; then
		sha=${d##*-g}; rest=${d%-g*}; n=${rest##*-}; tag=${rest%-*}
		v="$tag+git$date.$n.$sha"
	elif git rev-parse -q --verify "refs/tags/$d" >/dev/null; then
		v=$d
	else
		v="0.0.0~git$date.$d"
	fi
	v=$v$dirty
fi
v=${v#v}
v=$(printf '%s' "$v" | tr '-' '~' | tr -c '0-9A-Za-z.+~' '.')
case $v in
[0-9]*) ;;
*) v="0.0.0~$v" ;; # a Debian version starts with a digit
esac
printf '%s\n' "$v"
