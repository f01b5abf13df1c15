// Package packaging is the Debian packaging of menwei, and holds no code: make deb builds the
// packages from the files in this directory with nfpm (go tool nfpm, pinned in go.mod):
//
//	nfpm-menwei.yaml   the menwei package (menweid, menweictl, menwei-emu, the unit, the sample
//	                   configuration, the docs), for amd64 and arm64 (amd64.env, arm64.env)
//	nfpm-models.yaml   menwei-models: the dlib face models under /usr/share/menwei/models
//	menweid.service    the hardened systemd unit
//	menwei.yaml        the sample /etc/menwei/menwei.yaml, a conffile
//	postinst, prerm, postrm   the maintainer scripts (the user menwei, its directories)
//	version.sh         the Debian version from git describe
//
// Its test (deb_test.go) reads the built packages when MENWEI_DIST names the directory they are
// in (make test-deb sets it); test-install.sh installs them on the machine (root only).
package packaging
