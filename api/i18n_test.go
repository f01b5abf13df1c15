package api

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller/door"
)

// catalog parses the pages' message catalog: the JSON object between the
// markers in web/i18n.js.
func catalog(t *testing.T) map[string]map[string]string {
	t.Helper()
	src, err := os.ReadFile("web/i18n.js")
	require.NoError(t, err)
	s := string(src)
	i, j := strings.Index(s, "/* catalog */"), strings.Index(s, "/* end of catalog */")
	require.True(t, i >= 0 && j > i, "the catalog markers")
	var m map[string]map[string]string
	require.NoError(t, json.Unmarshal([]byte(s[i+len("/* catalog */"):j]), &m))
	return m
}

// Every key has a zh-CN and an English sentence with the same named
// placeholders, and zh-CN comes first.
func TestCatalogHasBothLanguages(t *testing.T) {
	m := catalog(t)
	require.NotEmpty(t, m)
	ph := regexp.MustCompile(`\{(\w+)\}`)
	names := func(s string) []string {
		var out []string
		for _, x := range ph.FindAllStringSubmatch(s, -1) {
			out = append(out, x[1])
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	han := regexp.MustCompile(`\p{Han}`)
	for k, v := range m {
		assert.Len(t, v, 2, "%s: zh-CN and en only", k)
		assert.NotEmpty(t, strings.TrimSpace(v["zh-CN"]), "%s: no zh-CN", k)
		assert.NotEmpty(t, strings.TrimSpace(v["en"]), "%s: no English", k)
		assert.Equal(t, names(v["zh-CN"]), names(v["en"]), "%s: the placeholders differ", k)
		assert.False(t, han.MatchString(v["en"]) && !strings.HasPrefix(k, "lang.name."), "%s: Chinese in the English sentence", k)
	}
	src, err := os.ReadFile("web/i18n.js")
	require.NoError(t, err)
	first := regexp.MustCompile(`\{"zh-CN": .*, "en": `)
	for _, line := range strings.Split(string(src), "\n") {
		if strings.Contains(line, `"en": `) {
			assert.Regexp(t, first, line, "zh-CN first, English second")
		}
	}
}

// goStrings returns the string constants of the Go files in dir (not
// tests) whose name or value ok accepts.
func goStrings(t *testing.T, dir string, ok func(name, value string, typed bool) bool) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	require.NoError(t, err)
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(af, func(n ast.Node) bool {
			vs, isSpec := n.(*ast.ValueSpec)
			if !isSpec {
				return true
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					continue
				}
				if lit, isLit := vs.Values[i].(*ast.BasicLit); isLit && lit.Kind == token.STRING {
					v, _ := strconv.Unquote(lit.Value)
					if ok(name.Name, v, vs.Type != nil) {
						out = append(out, v)
					}
				}
			}
			return true
		})
	}
	return out
}

// Every event kind, decision reason, door mode, door alarm and API error
// code in the Go code has its sentence in the catalog: a page never shows
// a code a person cannot read.
func TestCatalogCoversEveryCode(t *testing.T) {
	m := catalog(t)
	want := map[string]string{} // key -> where it comes from
	isKind := regexp.MustCompile(`^[a-z]+\.[a-z_]+$`)
	for _, dir := range []string{"../controller", "../controller/door", "../controller/alerts"} {
		for _, v := range goStrings(t, dir, func(name, v string, _ bool) bool {
			return (strings.HasPrefix(name, "Kind") || strings.HasPrefix(name, "Event") || isKind.MatchString(v)) && isKind.MatchString(v)
		}) {
			want["ev."+v] = dir + " event kind"
		}
	}
	for _, dir := range []string{"../controller", "../controller/policy"} {
		for _, v := range goStrings(t, dir, func(name, v string, typed bool) bool {
			if dir == "../controller" {
				return strings.HasPrefix(name, "Reason")
			}
			return !typed && regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`).MatchString(v) && name[0] >= 'A' && name[0] <= 'Z'
		}) {
			want["reason."+v] = dir + " reason"
		}
	}
	for _, mode := range []door.Mode{door.Normal, door.EmergencyUnlock, door.Lockdown} {
		want["mode."+mode.String()] = "door mode"
	}
	for _, a := range []string{"held_open", "forced_open", "unsecured"} { // controller.DoorStatus.Alarms
		want["alarm."+a] = "door alarm"
	}
	// API error codes: fail(status, "code", …) and the error handler's
	// own; event kinds and reasons written as literals (Kind: "…",
	// Reason: "…") in the API and the controller.
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	more, err := filepath.Glob("../controller/*.go")
	require.NoError(t, err)
	files = append(files, more...)
	want["err.internal"] = "errorHandler"
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		require.NoError(t, err)
		ast.Inspect(af, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "fail" && len(x.Args) >= 2 {
					if lit, ok := x.Args[1].(*ast.BasicLit); ok {
						v, _ := strconv.Unquote(lit.Value)
						want["err."+v] = f + " fail code"
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := x.Key.(*ast.Ident); ok && (id.Name == "Kind" || id.Name == "Reason") {
					if lit, ok := x.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						if id.Name == "Kind" {
							if isKind.MatchString(v) { // not a terminal's kind (osdp)
								want["ev."+v] = f + " event kind"
							}
						} else {
							want["reason."+v] = f + " reason"
						}
					}
				}
			}
			return true
		})
	}
	// The lock results returned as codes by openAnswer (string(lock)).
	for _, c := range []string{"lock_offline", "lock_refused", "lock_no_reply"} {
		want["err."+c] = "openAnswer"
	}
	require.Greater(t, len(want), 80, "the scan found the codes")
	var missing []string
	for k, from := range want {
		if _, ok := m[k]; !ok {
			missing = append(missing, k+" ("+from+")")
		}
	}
	slices.Sort(missing)
	assert.Empty(t, missing, "codes without a catalog entry")
}

// Every key the pages use (data-i18n attributes, t("…") and the like in
// the scripts) is in the catalog.
func TestPagesUseCatalogKeys(t *testing.T) {
	m := catalog(t)
	attr := regexp.MustCompile(`data-i18n(?:-[a-z]+)?="([^"]+)"`)
	lit := regexp.MustCompile(`"((?:page|lang|who|role|login|doors|door|mode|modeset|alarm|visitor|events|place|ev|evx|reason|err|pair|phone|msg|tabs|hist|alarmp|doorst|confirm|vis|acct|visstate|viskind|phones|res|card|imp)\.[A-Za-z0-9_.-]+)"`)
	files, err := filepath.Glob("web/*")
	require.NoError(t, err)
	used := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		s := string(src)
		if strings.HasSuffix(f, "i18n.js") {
			s = s[strings.Index(s, "/* end of catalog */"):]
		}
		var keys [][]string
		switch {
		case strings.HasSuffix(f, ".html"):
			keys = attr.FindAllStringSubmatch(s, -1)
		case strings.HasSuffix(f, ".js"):
			keys = lit.FindAllStringSubmatch(s, -1)
		}
		for _, k := range keys {
			used++
			if _, kind := m["ev."+k[1]]; kind && strings.HasSuffix(f, ".js") {
				continue // an event kind the page compares with (alarm.acknowledged), not a key
			}
			assert.Contains(t, m, k[1], "%s uses a key the catalog does not have", f)
		}
	}
	assert.Greater(t, used, 50)
}
