package packaging

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"menwei/biometric/face"
	"menwei/controller/config"
)

// The tests read the packages make deb wrote. They are skipped unless MENWEI_DIST names that
// directory, so that go test ./... does not wait for a package build; make test-deb sets it,
// and MENWEI_DEB_VERSION to the version the packages must carry.

func distDir(t *testing.T) string {
	t.Helper()
	d := os.Getenv("MENWEI_DIST")
	if d == "" {
		t.Skip("MENWEI_DIST is not set: make test-deb builds the packages into dist/ and sets it")
	}
	return d
}

// deb is one package file.
type deb struct {
	path string
	dir  string // where it was extracted (dpkg-deb -x)
}

func findDeb(t *testing.T, name, arch string) deb {
	t.Helper()
	dist := distDir(t)
	matches, err := filepath.Glob(filepath.Join(dist, name+"_*_"+arch+".deb"))
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) != 1 {
		t.Fatalf("%s/%s_*_%s.deb: want exactly one package, found %q", dist, name, arch, matches)
	}
	d := deb{path: matches[0]}
	if v := os.Getenv("MENWEI_DEB_VERSION"); v != "" {
		if want := filepath.Join(dist, name+"_"+v+"_"+arch+".deb"); d.path != want {
			t.Fatalf("package %s, want %s", d.path, want)
		}
		if got := d.field(t, "Version"); got != v {
			t.Errorf("%s: Version %q, want %q", d.path, got, v)
		}
	}
	d.dir = t.TempDir()
	run(t, "dpkg-deb", "-x", d.path, d.dir)
	return d
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr)
	}
	return string(out)
}

func (d deb) field(t *testing.T, f string) string {
	t.Helper()
	return strings.TrimSpace(run(t, "dpkg-deb", "-f", d.path, f))
}

// control is a member of the control archive (conffiles, postinst, ...).
func (d deb) control(t *testing.T, member string) string {
	t.Helper()
	return run(t, "dpkg-deb", "-I", d.path, member)
}

// entries is the data archive's listing: path (without the leading ".", directories without
// the trailing "/") → "MODE OWNER/GROUP" as dpkg-deb -c prints them.
func (d deb) entries(t *testing.T) map[string]string {
	t.Helper()
	m := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(run(t, "dpkg-deb", "-c", d.path)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 6 {
			t.Fatalf("%s: unexpected listing line %q", d.path, sc.Text())
		}
		p := strings.TrimSuffix(strings.TrimPrefix(f[5], "."), "/")
		m[p] = f[0] + " " + f[1]
	}
	return m
}

// checkEntries compares a package's listing with want. Directories that only hold what is
// wanted (/usr, /usr/share, ...) may be there too, as drwxr-xr-x root/root.
func checkEntries(t *testing.T, d deb, want map[string]string) {
	t.Helper()
	got := d.entries(t)
	for p, w := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("%s: %s missing", filepath.Base(d.path), p)
		} else if g != w {
			t.Errorf("%s: %s is %s, want %s", filepath.Base(d.path), p, g, w)
		}
	}
	for p, g := range got {
		if _, ok := want[p]; ok {
			continue
		}
		parent := false
		for w := range want {
			parent = parent || strings.HasPrefix(w, p+"/")
		}
		if !parent || g != "drwxr-xr-x root/root" {
			t.Errorf("%s: unexpected %s %s", filepath.Base(d.path), g, p)
		}
	}
}

func sameFile(t *testing.T, got, want string) {
	t.Helper()
	g, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s differs from %s", got, want)
	}
}

var binaries = []string{"menweid", "menweictl", "menwei-emu"}

// menweiFiles is what the menwei package holds, for either architecture.
func menweiFiles(t *testing.T) map[string]string {
	const exe, file = "-rwxr-xr-x root/root", "-rw-r--r-- root/root"
	want := map[string]string{
		"/etc/menwei":                              "drwxr-x--- root/root", // root:menwei in postinst
		"/etc/menwei/menwei.yaml":                  "-rw-r----- root/root", // the group is menwei's in postinst
		"/lib/systemd/system/menweid.service":      file,
		"/lib/udev/rules.d/60-menwei-serial.rules": file,
		"/usr/share/doc/menwei/copyright":          file,
		"/usr/share/doc/menwei/README.md":          file,
	}
	for _, b := range binaries {
		want["/usr/bin/"+b] = exe
	}
	docs, err := filepath.Glob("../docs/*.md")
	if err != nil || len(docs) == 0 {
		t.Fatalf("docs/*.md: %v %q", err, docs)
	}
	for _, doc := range docs {
		want["/usr/share/doc/menwei/"+filepath.Base(doc)] = file
	}
	return want
}

func TestMenweiPackages(t *testing.T) {
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			d := findDeb(t, "menwei", arch)
			for f, want := range map[string]string{"Package": "menwei", "Architecture": arch} {
				if got := d.field(t, f); got != want {
					t.Errorf("%s: %s %q, want %q", d.path, f, got, want)
				}
			}
			checkEntries(t, d, menweiFiles(t))
			if got := d.control(t, "conffiles"); got != "/etc/menwei/menwei.yaml\n" {
				t.Errorf("conffiles %q, want exactly /etc/menwei/menwei.yaml", got)
			}
			for _, s := range []string{"postinst", "prerm", "postrm"} {
				if got := d.control(t, s); got != readFile(t, s) {
					t.Errorf("control %s is not packaging/%s", s, s)
				}
			}
			sameFile(t, filepath.Join(d.dir, "lib/systemd/system/menweid.service"), "menweid.service")
			sameFile(t, filepath.Join(d.dir, "lib/udev/rules.d/60-menwei-serial.rules"), "60-menwei-serial.rules")
			desc := d.field(t, "Description")
			switch arch {
			case "amd64":
				sameFile(t, filepath.Join(d.dir, "etc/menwei/menwei.yaml"), "menwei.yaml")
				if got := d.field(t, "Recommends"); got != "menwei-models" {
					t.Errorf("Recommends %q, want menwei-models", got)
				}
			case "arm64":
				if got := d.field(t, "Depends"); got != "passwd" {
					t.Errorf("Depends %q: a pure-Go build needs no library, only passwd (useradd)", got)
				}
				if got := d.field(t, "Recommends"); got != "" {
					t.Errorf("Recommends %q: the models are of no use without dlib", got)
				}
				if !strings.Contains(desc, "descriptor mode") {
					t.Errorf("the description does not say face terminals work in descriptor mode only:\n%s", desc)
				}
			}
		})
	}
}

// TestBinaries checks each package's binaries are what it says: amd64 built with cgo and
// dlib, arm64 pure Go with -tags nodlib and static, both stripped.
func TestBinaries(t *testing.T) {
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		t.Run(arch, func(t *testing.T) {
			d := findDeb(t, "menwei", arch)
			for _, b := range binaries {
				path := filepath.Join(d.dir, "usr/bin", b)
				f, err := elf.Open(path)
				if err != nil {
					t.Fatalf("%s: %v", b, err)
				}
				defer f.Close()
				if f.Machine != machine {
					t.Errorf("%s: ELF machine %v, want %v", b, f.Machine, machine)
				}
				if f.Section(".symtab") != nil {
					t.Errorf("%s: not stripped", b)
				}
				libs, err := f.ImportedLibraries()
				if err != nil {
					t.Fatal(err)
				}
				interp := slices.ContainsFunc(f.Progs, func(p *elf.Prog) bool { return p.Type == elf.PT_INTERP })
				bi, err := buildinfo.ReadFile(path)
				if err != nil {
					t.Fatalf("%s: %v", b, err)
				}
				settings := map[string]string{}
				for _, s := range bi.Settings {
					settings[s.Key] = s.Value
				}
				switch arch {
				case "amd64":
					if !slices.Contains(libs, "libdlib.so.19.1") || settings["CGO_ENABLED"] != "1" {
						t.Errorf("%s: not a cgo build with dlib (CGO_ENABLED=%q, libraries %q)", b, settings["CGO_ENABLED"], libs)
					}
					if strings.Contains(settings["-tags"], "nodlib") {
						t.Errorf("%s: built with -tags %s", b, settings["-tags"])
					}
				case "arm64":
					if len(libs) > 0 || interp {
						t.Errorf("%s: not static (libraries %q, interpreter %v)", b, libs, interp)
					}
					if settings["CGO_ENABLED"] != "0" || settings["-tags"] != "nodlib" || settings["GOARCH"] != "arm64" {
						t.Errorf("%s: built with CGO_ENABLED=%q -tags %q GOARCH=%q, want 0, nodlib, arm64",
							b, settings["CGO_ENABLED"], settings["-tags"], settings["GOARCH"])
					}
				}
			}
		})
	}
}

// TestDepends checks the amd64 Depends against the libraries its binaries need: each library
// (ELF NEEDED) belongs to a package on this machine, the one that built them, that Depends
// names (or that provides a name Depends names, as libatlas3-base provides libblas.so.3), and
// each library group in Depends is needed by some binary.
func TestDepends(t *testing.T) {
	d := findDeb(t, "menwei", "amd64")
	var groups [][]string // Depends: a, b | c → [[a] [b c]], without versions
	for _, g := range strings.Split(d.field(t, "Depends"), ",") {
		var alts []string
		for _, a := range strings.Split(g, "|") {
			alts = append(alts, strings.Fields(a)[0])
		}
		groups = append(groups, alts)
	}
	used := make([]bool, len(groups))
	for i, g := range groups {
		used[i] = slices.Equal(g, []string{"passwd"}) // postinst: useradd, groupadd, usermod
	}
	if !slices.Contains(used, true) {
		t.Errorf("Depends %q lacks passwd (postinst runs useradd)", d.field(t, "Depends"))
	}
	needed := map[string]bool{}
	for _, b := range binaries {
		f, err := elf.Open(filepath.Join(d.dir, "usr/bin", b))
		if err != nil {
			t.Fatal(err)
		}
		libs, err := f.ImportedLibraries()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range libs {
			needed[l] = true
		}
	}
	for lib := range needed {
		names := libraryPackages(t, lib)
		covered := false
		for i, g := range groups {
			if slices.ContainsFunc(g, func(a string) bool { return names[a] }) {
				covered, used[i] = true, true
			}
		}
		if !covered {
			t.Errorf("%s (from %v) is not in Depends %q", lib, keys(names), d.field(t, "Depends"))
		}
	}
	for i, g := range groups {
		if !used[i] {
			t.Errorf("Depends names %s, which no binary needs", strings.Join(g, " | "))
		}
	}
}

// libraryPackages are the packages that hold a library on this machine (dpkg -S), and what
// they provide.
func libraryPackages(t *testing.T, lib string) map[string]bool {
	t.Helper()
	out, err := exec.Command("dpkg", "-S", "*/"+lib).Output()
	if err != nil {
		t.Fatalf("dpkg -S */%s: %v (the library is not in an installed package)", lib, err)
	}
	names := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		owners, _, _ := strings.Cut(line, ": ")
		for _, o := range strings.Split(owners, ", ") {
			o, _, _ = strings.Cut(o, ":")
			if strings.HasSuffix(o, "-dev") || names[o] {
				continue
			}
			names[o] = true
			provides := run(t, "dpkg-query", "-W", "-f", "${Provides}", o)
			for _, p := range strings.Split(provides, ",") {
				if f := strings.Fields(p); len(f) > 0 {
					names[f[0]] = true
				}
			}
		}
	}
	return names
}

func keys(m map[string]bool) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}

func TestModelsPackage(t *testing.T) {
	d := findDeb(t, "menwei-models", "all")
	if got := d.field(t, "Package"); got != "menwei-models" {
		t.Errorf("Package %q", got)
	}
	if got := d.field(t, "Depends"); got != "" {
		t.Errorf("Depends %q: data needs nothing", got)
	}
	if info := run(t, "dpkg-deb", "-I", d.path); strings.Contains(info, "conffiles") {
		t.Errorf("a conffiles member, want none:\n%s", info)
	}
	want := map[string]string{"/usr/share/doc/menwei-models/copyright": "-rw-r--r-- root/root"}
	for _, m := range face.ModelFiles {
		want["/usr/share/menwei/models/"+m] = "-rw-r--r-- root/root"
	}
	checkEntries(t, d, want)
	for _, m := range face.ModelFiles {
		sameFile(t, filepath.Join(d.dir, "usr/share/menwei/models", m), filepath.Join("../.cache/models", m))
	}
}

// TestSampleConfig parses each package's /etc/menwei/menwei.yaml as menweid does, with the
// OSDP keys postinst writes, and checks it agrees with what the package makes: the data in
// /var/lib/menwei (the unit's StateDirectory), the store key in /var/lib/menwei/keys, the
// models of menwei-models on amd64 and none on arm64 (menweid refuses face.models without
// dlib).
func TestSampleConfig(t *testing.T) {
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	scbkFile := regexp.MustCompile(`(?m)^\s*scbk_file:\s*(\S+)`)
	for arch, models := range map[string]string{"amd64": "/usr/share/menwei/models", "arm64": ""} {
		t.Run(arch, func(t *testing.T) {
			d := findDeb(t, "menwei", arch)
			raw, err := os.ReadFile(filepath.Join(d.dir, "etc/menwei/menwei.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			const keyDir = "/var/lib/menwei/keys/"
			keys := scbkFile.FindAllStringSubmatch(string(raw), -1)
			if len(keys) == 0 {
				t.Fatal("the sample names no scbk_file")
			}
			tmp := t.TempDir()
			for _, k := range keys {
				if !strings.HasPrefix(k[1], keyDir) {
					t.Errorf("scbk_file %s: postinst only makes keys in %s", k[1], keyDir)
					continue
				}
				key := make([]byte, 16)
				rand.Read(key)
				if err := os.WriteFile(filepath.Join(tmp, strings.TrimPrefix(k[1], keyDir)), []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			raw = bytes.ReplaceAll(raw, []byte("scbk_file: "+keyDir), []byte("scbk_file: "+tmp+"/"))
			cfg, err := config.Parse(raw, "/etc/menwei")
			if err != nil {
				t.Fatalf("the sample configuration: %v", err)
			}
			for _, c := range []struct{ what, got, want string }{
				{"data_dir", cfg.DataDir, "/var/lib/menwei"},
				{"store.dir", cfg.Store.Dir, "/var/lib/menwei/store"},
				{"store.key_file", cfg.Store.KeyFile, "/var/lib/menwei/keys/store.key"},
				{"face.models", cfg.Face.Models, models},
				{"timezone", cfg.Timezone, "Asia/Shanghai"},
			} {
				if c.got != c.want {
					t.Errorf("%s is %q, want %q", c.what, c.got, c.want)
				}
			}
			if len(cfg.Doors) == 0 || len(cfg.Buses) == 0 {
				t.Errorf("the sample has %d doors and %d buses, want some of each", len(cfg.Doors), len(cfg.Buses))
			}
		})
	}
}

// TestUnit checks the unit's directives, then has systemd-analyze verify it (with ExecStart
// pointing at the packaged binary, which verify wants to exist) and rate its sandbox.
func TestUnit(t *testing.T) {
	d := findDeb(t, "menwei", "amd64")
	unit := readFile(t, "menweid.service")
	directives := map[string][]string{}
	for _, line := range strings.Split(unit, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			directives[k] = append(directives[k], v)
		}
	}
	for k, want := range map[string][]string{
		"Type":                    {"notify"},
		"NotifyAccess":            {"main"},
		"WatchdogSec":             {"30s"},
		"Restart":                 {"always"},
		"RestartSec":              {"2"},
		"ExecStartPre":            {"/usr/bin/menweid -check -config /etc/menwei/menwei.yaml"},
		"ExecStart":               {"/usr/bin/menweid -config /etc/menwei/menwei.yaml"},
		"User":                    {"menwei"},
		"Group":                   {"menwei"},
		"SupplementaryGroups":     {"dialout gpio"},
		"StateDirectory":          {"menwei"},
		"StateDirectoryMode":      {"0750"},
		"ConfigurationDirectory":  {"menwei"},
		"NoNewPrivileges":         {"yes"},
		"ProtectSystem":           {"strict"},
		"ProtectHome":             {"yes"},
		"PrivateTmp":              {"yes"},
		"ProtectKernelTunables":   {"yes"},
		"ProtectKernelModules":    {"yes"},
		"ProtectControlGroups":    {"yes"},
		"RestrictAddressFamilies": {"AF_UNIX AF_INET AF_INET6"},
		"DevicePolicy":            {"closed"},
		"CapabilityBoundingSet":   {""},
		"LockPersonality":         {"yes"},
		"MemoryDenyWriteExecute":  {"yes"},
		"WantedBy":                {"multi-user.target"},
	} {
		if got := directives[k]; !slices.Equal(got, want) {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	for _, dev := range []string{"char-ttyUSB rw", "char-ttyS rw", "char-ttyACM rw", "char-gpiochip rw"} {
		if !slices.Contains(directives["DeviceAllow"], dev) {
			t.Errorf("no DeviceAllow=%s", dev)
		}
	}
	if !slices.Contains(directives["SystemCallFilter"], "@system-service") {
		t.Errorf("SystemCallFilter=%q, want @system-service", directives["SystemCallFilter"])
	}

	tmp := filepath.Join(t.TempDir(), "menweid.service")
	local := strings.ReplaceAll(unit, "/usr/bin/menweid", filepath.Join(d.dir, "usr/bin/menweid"))
	if err := os.WriteFile(tmp, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("systemd-analyze", "verify", tmp).CombinedOutput()
	t.Logf("systemd-analyze verify: %v\n%s", err, out)
	if err != nil || strings.Contains(string(out), "menweid.service") {
		t.Errorf("systemd-analyze verify menweid.service: %v\n%s", err, out)
	}
	// 1.6 when written; 2.0 leaves room for a systemd that rates a setting otherwise, and a
	// weakened sandbox (ProtectSystem=full, a capability, a device) goes past it.
	out, err = exec.Command("systemd-analyze", "security", "--offline=true", "--threshold=20", tmp).CombinedOutput()
	score := regexp.MustCompile(`Overall exposure level for menweid.service: .*`).Find(out)
	t.Logf("systemd-analyze security: %s", score)
	if err != nil {
		t.Errorf("systemd-analyze security --threshold=20 (2.0): %v\n%s", err, out)
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
