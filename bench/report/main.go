// Command report runs every row of docs/performance.md that has a
// benchmark, each with its anchor where the row has one, and prints a
// markdown table: what, subject, anchor, ratio and the commands, with the
// machine it ran on. `make bench-report` runs it from the module root.
//
// A subject and its anchor are measured alternately in the same session
// (anchor, subject, anchor, subject, ... for -rounds rounds, three by
// default) and each figure is the median of its rounds; the ratio is the
// median of the rounds' ratios. On a machine shared with other work the
// figures move with the load; the ratios are what compares.
//
// The test binaries and menweid are built once (go test -c, go build -o)
// and run from their package directories, as go test runs them.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// run is one benchmark invocation: a test binary's benchmark, or (for an
// anchor outside Go) a command whose output a pattern reads.
type run struct {
	pkg       string // ./controller/eventlog
	bench     string // -test.bench pattern
	benchtime string
	cpu       string // -test.cpu, "" = all
	metric    string // the unit read from the result line, e.g. events/s
	// external anchors: argv and the pattern whose first group is the figure
	argv []string
	re   *regexp.Regexp
}

func (r run) command() string {
	if r.argv != nil {
		return strings.Join(r.argv, " ")
	}
	cpu := ""
	if r.cpu != "" {
		cpu = " -cpu " + r.cpu
	}
	return fmt.Sprintf("go test -run '^$' -bench '%s' -benchtime %s%s %s/", r.bench, r.benchtime, cpu, r.pkg)
}

// row is one line of the report.
type row struct {
	what    string
	subject run
	anchor  *run // nil: no anchor, the subject's figures only
	// ratio of subject to anchor: "higher" (throughputs: subject/anchor)
	// or "lower" (times: anchor/subject, so above 1 is better either way)
	better string
	// extra metrics of the subject shown beside its figure
	extra []string
	// within: the anchor is measured inside the subject's benchmark (its
	// metric named here), alternated op by op
	within string
	unit   string // how the figure reads in the table
	skip   string // why the row is not run on this machine ("" = run)
}

func rows() []row {
	faissWhy := ""
	if exec.Command("python3", "-c", "import faiss").Run() != nil {
		faissWhy = "not run: python3 has no faiss here (apt-get install python3-faiss)"
	}
	faiss := func(n int) *run {
		return &run{argv: []string{"python3", "biometric/faceindex/testdata/faiss_anchor.py", strconv.Itoa(n)},
			re: regexp.MustCompile(fmt.Sprintf(`n=%d .*: ([0-9.]+) ms/query`, n))}
	}
	return []row{
		{what: "phone-open, concurrency 32, menweid binary, encrypted store (vs a plain handler doing one synced Badger txn per request)",
			subject: run{pkg: "./cmd/menweid", bench: "PhoneOpen$", benchtime: "3000x", metric: "req/s"},
			anchor:  &run{pkg: "./cmd/menweid", bench: "PhoneOpenAnchor$", benchtime: "3000x", metric: "req/s"},
			better:  "higher", extra: []string{"p50-ms", "p99-ms", "server-cpu-ms/req", "load-cpu-ms/req"}, unit: "req/s"},
		{what: "durable appends, 16 writers, encrypted (vs one synced Badger txn per event)",
			subject: run{pkg: "./controller/eventlog", bench: "Append16Writers$", benchtime: "8000x", metric: "events/s"},
			anchor:  &run{pkg: "./controller/eventlog", bench: "AppendAnchor16Writers$", benchtime: "8000x", metric: "events/s"},
			better:  "higher", extra: []string{"p50-ms", "p99-ms"}, unit: "events/s"},
		{what: "durable appends, 1 writer, encrypted (vs one synced Badger txn per event)",
			subject: run{pkg: "./controller/eventlog", bench: "AppendSerial$", benchtime: "3000x", metric: "events/s"},
			anchor:  &run{pkg: "./controller/eventlog", bench: "AppendAnchorSerial$", benchtime: "3000x", metric: "events/s"},
			better:  "higher", extra: []string{"p50-ms", "p99-ms"}, unit: "events/s"},
		{what: "photo → descriptor, sample2.jpg (vs bare go-face, alternated op by op)",
			subject: run{pkg: "./biometric/face", bench: "Embed$", benchtime: "6x", metric: "embedder-ms"},
			within:  "bare-ms", better: "lower", unit: "ms"},
		{what: "1:N face search, 100k, one core (vs FAISS IndexFlatL2, one thread)",
			subject: run{pkg: "./biometric/faceindex", bench: "Search/100k$", benchtime: "200x", cpu: "1", metric: "ns/op"},
			anchor:  faiss(100_000), better: "lower", unit: "ms", skip: faissWhy},
		{what: "card read → OUT over a pty, secure channel, encrypted store, synced event",
			subject: run{pkg: "./cmd/menweid", bench: "CardToOUT$", benchtime: "300x", metric: "p50-ms"},
			extra:   []string{"p99-ms", "max-ms"}, unit: "ms (p50)"},
		{what: "access decision, 10k residents, encrypted store, no synced write",
			subject: run{pkg: "./controller", bench: "DecideCard10k$", benchtime: "100000x", metric: "p50-µs"},
			extra:   []string{"p99-µs"}, unit: "µs (p50)"},
		{what: "load 100k faces from Badger into the index, cold first load, encrypted store",
			subject: run{pkg: "./controller", bench: "LoadFaces100k$", benchtime: "3x", metric: "cold-ms"},
			extra:   []string{"warm-ms"}, unit: "ms"},
		{what: "start to ready, menweid binary, 100k residents with faces, encrypted store: the face index from its snapshot file (vs rebuilt from the store, as before snapshots)",
			subject: run{pkg: "./cmd/menweid", bench: "StartToReady/faces=100000$/snapshot$", benchtime: "5x", metric: "p50-ms"},
			anchor:  &run{pkg: "./cmd/menweid", bench: "StartToReady/faces=100000$/rebuild$", benchtime: "5x", metric: "p50-ms"},
			better:  "lower", extra: []string{"max-ms"}, unit: "ms (p50)"},
		{what: "daemon resident memory: menweid binary, 10k residents with faces, dlib models loaded, after 200 cards",
			subject: run{pkg: "./cmd/menweid", bench: "DaemonRSS$", benchtime: "1x", metric: "rss-MB"},
			extra:   []string{"peak-rss-MB"}, unit: "MB"},
	}
}

// result is one invocation's metrics by unit.
type result map[string]float64

type runner struct {
	tmp  string
	bins map[string]string // package → test binary
	env  []string
	log  *os.File
}

// build makes the test binaries of every package the rows use, and menweid.
func (r *runner) build(rs []row) error {
	menweid := filepath.Join(r.tmp, "menweid")
	if err := r.cmd("", "go", "build", "-o", menweid, "./cmd/menweid").Run(); err != nil {
		return fmt.Errorf("build menweid: %w", err)
	}
	r.env = append(os.Environ(), "MENWEI_BENCH_MENWEID="+menweid)
	r.bins = map[string]string{}
	for _, w := range rs {
		for _, x := range []*run{&w.subject, w.anchor} {
			if x == nil || x.argv != nil || w.skip != "" || r.bins[x.pkg] != "" {
				continue
			}
			bin := filepath.Join(r.tmp, strings.ReplaceAll(strings.Trim(x.pkg, "./"), "/", "_")+".test")
			if err := r.cmd("", "go", "test", "-c", "-o", bin, x.pkg).Run(); err != nil {
				return fmt.Errorf("build %s tests: %w", x.pkg, err)
			}
			r.bins[x.pkg] = bin
		}
	}
	return nil
}

func (r *runner) cmd(dir, name string, args ...string) *exec.Cmd {
	c := exec.Command(name, args...)
	c.Dir, c.Stderr, c.Env = dir, r.log, r.env
	return c
}

var resultLine = regexp.MustCompile(`^Benchmark\S+\s+\d+\s+(.*)$`)

// do runs one invocation and returns its metrics.
func (r *runner) do(x run) (result, error) {
	if x.argv != nil {
		out, err := r.cmd("", x.argv[0], x.argv[1:]...).Output()
		fmt.Fprintf(r.log, "$ %s\n%s", x.command(), out)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", x.command(), err)
		}
		m := x.re.FindSubmatch(out)
		if m == nil {
			return nil, fmt.Errorf("%s: no figure in its output", x.command())
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return result{"ms": v}, nil
	}
	args := []string{"-test.run", "^$", "-test.bench", x.bench, "-test.benchtime", x.benchtime}
	if x.cpu != "" {
		args = append(args, "-test.cpu", x.cpu)
	}
	out, err := r.cmd(x.pkg, r.bins[x.pkg], args...).Output()
	fmt.Fprintf(r.log, "$ %s\n%s", x.command(), out)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", x.command(), err)
	}
	res := result{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := resultLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[1])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err == nil {
				res[f[i+1]] = v
			}
		}
	}
	if _, ok := res[x.metric]; !ok {
		return nil, fmt.Errorf("%s: no %s in its output", x.command(), x.metric)
	}
	if x.metric == "ns/op" { // shown in ms
		res["ms"] = res["ns/op"] / 1e6
	}
	return res, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func spread(v []float64) string {
	if len(v) < 2 {
		return ""
	}
	return fmt.Sprintf(" (%s–%s)", num(slices.Min(v)), num(slices.Max(v)))
}

func num(v float64) string {
	switch {
	case v >= 1000:
		s := strconv.FormatFloat(v, 'f', 0, 64)
		for i := len(s) - 3; i > 0; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func machine() string {
	info := map[string]string{}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(l, ":")
			if k = strings.TrimSpace(k); ok && info[k] == "" {
				info[k] = strings.TrimSpace(v)
			}
		}
	}
	cpu := fmt.Sprintf("%s (family %s model %s)", firstOf(info["model name"], "?"), info["cpu family"], info["model"])
	if strings.Contains(" "+info["flags"]+" ", " avx2 ") {
		cpu += ", AVX2"
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	gov, _ := exec.Command("go", "version").Output()
	return fmt.Sprintf("CPU %s, %d cores, kernel %s, %s", cpu, runtime.NumCPU(), strings.TrimSpace(string(kernel)), strings.TrimSpace(string(gov)))
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func main() {
	rounds := flag.Int("rounds", 3, "alternated rounds of every row")
	only := flag.String("only", "", "run only the rows whose description contains this")
	flag.Parse()
	rs := slices.DeleteFunc(rows(), func(w row) bool { return !strings.Contains(w.what, *only) })

	tmp, err := os.MkdirTemp("", "bench-report-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(tmp)
	logPath := filepath.Join(os.TempDir(), "bench-report.log")
	log, err := os.Create(logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer log.Close()
	r := &runner{tmp: tmp, log: log}
	started, load0 := time.Now(), loadavg()
	fmt.Fprintf(os.Stderr, "bench-report: building (every benchmark's output goes to %s)\n", logPath)
	if err := r.build(rs); err != nil {
		fmt.Fprintln(os.Stderr, "bench-report:", err)
		os.Exit(1)
	}

	subj := make([][]result, len(rs))
	anch := make([][]result, len(rs))
	failed := make([]string, len(rs))
	for round := 1; round <= *rounds; round++ {
		for i, w := range rs {
			if w.skip != "" || failed[i] != "" {
				continue
			}
			fmt.Fprintf(os.Stderr, "bench-report: round %d/%d: %s\n", round, *rounds, w.what)
			if w.anchor != nil {
				a, err := r.do(*w.anchor)
				if err != nil {
					failed[i] = err.Error()
					continue
				}
				anch[i] = append(anch[i], a)
			}
			s, err := r.do(w.subject)
			if err != nil {
				failed[i] = err.Error()
				continue
			}
			subj[i] = append(subj[i], s)
		}
	}

	fmt.Printf("## make bench-report, %s\n\n", started.Format("2006-01-02 15:04 MST"))
	fmt.Printf("Machine: %s. Load average %s at the start, %s at the end; %s in all.\n", machine(), load0, loadavg(), time.Since(started).Round(time.Second))
	fmt.Printf("Each figure is the median of %d rounds (range in brackets); subject and anchor alternated in every round (anchor first); "+
		"the ratio is the median of the rounds' ratios, above 1 = better than the anchor. "+
		"A shared box gives high and noisy figures: compare the ratios, not the figures.\n\n", *rounds)
	fmt.Println("| what | subject | anchor | ratio | command |")
	fmt.Println("|---|---|---|---|---|")
	for i, w := range rs {
		cmdline := "`" + w.subject.command() + "`"
		if w.anchor != nil {
			cmdline += " vs `" + w.anchor.command() + "`"
		}
		switch {
		case w.skip != "":
			fmt.Printf("| %s | %s | | | %s |\n", w.what, w.skip, cmdline)
			continue
		case failed[i] != "":
			fmt.Printf("| %s | failed: %s | | | %s |\n", w.what, failed[i], cmdline)
			continue
		}
		metric := w.subject.metric
		if metric == "ns/op" {
			metric = "ms"
		}
		col := func(rs []result, m string) []float64 {
			var v []float64
			for _, x := range rs {
				v = append(v, x[m])
			}
			return v
		}
		sv := col(subj[i], metric)
		subject := num(median(sv)) + " " + w.unit + spread(sv)
		for _, e := range w.extra {
			subject += fmt.Sprintf(", %s %s", e, num(median(col(subj[i], e))))
		}
		var av []float64
		switch {
		case w.within != "":
			av = col(subj[i], w.within)
		case w.anchor != nil:
			am := w.anchor.metric
			if w.anchor.argv != nil || am == "ns/op" {
				am = "ms"
			}
			av = col(anch[i], am)
		}
		anchor, ratio := "—", "—"
		if av != nil {
			anchor = num(median(av)) + " " + w.unit + spread(av)
			for _, e := range w.extra {
				if w.anchor != nil && w.anchor.argv == nil {
					anchor += fmt.Sprintf(", %s %s", e, num(median(col(anch[i], e))))
				}
			}
			var rv []float64
			for k := range min(len(sv), len(av)) {
				if w.better == "higher" {
					rv = append(rv, sv[k]/av[k])
				} else {
					rv = append(rv, av[k]/sv[k])
				}
			}
			ratio = fmt.Sprintf("**%.2f×**%s", median(rv), spread(rv))
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", w.what, subject, anchor, ratio, cmdline)
	}
}
