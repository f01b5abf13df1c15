//go:build !nodlib

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
)

// evalIn runs js in the page and returns its value.
func evalIn[T any](t *testing.T, ctx context.Context, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	require.NoError(t, err, js)
	return v
}

// signIn opens the console at url and signs the test's admin in.
func signIn(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(url+"/console.html"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("name"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("console-view")),
		chromedp.WaitVisible(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
	))
}

// setField sets a form field's value as a person would leave it.
func setField(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { const e = document.getElementById(%q); e.value = %q; e.dispatchEvent(new Event("change")); return e.value === %q; })()`, id, value, value))(ctx, t)
		return err
	})
}

// shownSeqs is the seqs of the history's rows, top to bottom.
func shownSeqs(t *testing.T, ctx context.Context) []uint64 {
	t.Helper()
	s := evalIn[string](t, ctx, `[...document.querySelectorAll("#hist-list li")].map(li => li.dataset.seq).join(",")`)
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			n, err := strconv.ParseUint(f, 10, 64)
			require.NoError(t, err)
			out = append(out, n)
		}
	}
	return out
}

// newestFirst is the seqs of the events ok keeps, newest first, at most n.
func newestFirst(evs []controller.Event, n int, ok func(controller.Event) bool) []uint64 {
	var out []uint64
	for i := len(evs) - 1; i >= 0 && len(out) < n; i-- {
		if ok(evs[i]) {
			out = append(out, evs[i].Seq)
		}
	}
	return out
}

// search submits the history's filters and waits for the rows to be
// exactly want (the same query answered from the event log).
func search(t *testing.T, ctx context.Context, where string, want []uint64) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("hist-search"))))
	require.Eventuallyf(t, func() bool { return slices.Equal(shownSeqs(t, ctx), want) }, 10*time.Second, 50*time.Millisecond,
		"%s: the page shows %v, the log %v", where, shownSeqs(t, ctx), want)
}

// The history tab in zh-CN: filters by result, person, door and time
// checked against the event log, pages back and forth, the CSV export of
// the same filters, and the crop of a refused face beside its event.
func TestBrowserHistory(t *testing.T) {
	img, err := os.ReadFile(filepath.Join(cachePath(t, "photos"), "sample2.jpg")) // one face, enrolled nowhere
	require.NoError(t, err)
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true,
		pdYAML: "        display_name: 东门读卡器",
		main:   "    display_name: 东门",
		extra:  fmt.Sprintf("timezone: Asia/Shanghai\nface:\n  models: %s", cachePath(t, "models"))})
	g.waitOnline(false)
	waitOut(t, term.PD, osdp.OutPermOffAbort)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	check := newTextChecker(t)

	// A resident, unknown cards (enough events for two pages) and an
	// unknown face.
	term.PD.PresentWiegand26(1, 1234)
	grant := g.waitEvent("grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Identity == "li-wei" })
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
	time.Sleep(1100 * time.Millisecond) // the time filter below starts on a later second than the grant
	unknownCards := func() int {
		n := 0
		for _, e := range g.events() {
			if e.Kind == controller.KindDenied && e.Reason == controller.ReasonUnknownCard {
				n++
			}
		}
		return n
	}
	for i := range 45 {
		term.PD.PresentWiegand26(9, uint16(100+i))
		require.Eventually(t, func() bool { return unknownCards() == i+1 }, 10*time.Second, 10*time.Millisecond, "unknown card %d", i)
	}
	require.NoError(t, term.Show(context.Background(), img))
	face := g.waitEvent("unknown face", func(e controller.Event) bool { return e.Kind == controller.KindDenied && e.Reason == "unknown_face" })
	require.Eventually(t, func() bool { // the crop is stored right after its event
		status, err := authGet(g, fmt.Sprintf("/api/v1/events/%d/crop", face.Seq))
		return err == nil && status == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond)

	ctx := browser(t, "zh-CN")
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)))
	signIn(t, ctx, g.url)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="history"]`)),
		chromedp.WaitVisible(chromedp.ID("tab-history")),
		chromedp.WaitVisible(chromedp.CSS(`#hist-list li`)),
	))
	all := g.events()
	require.Eventually(t, func() bool { return len(shownSeqs(t, ctx)) == 50 }, 10*time.Second, 50*time.Millisecond)
	// The newest 50 as the page loaded them (events keep coming: the sign-in).
	first := shownSeqs(t, ctx)
	all = g.events()
	assert.Equal(t, newestFirst(all, 50, func(e controller.Event) bool { return e.Seq <= first[0] }), first, "the newest first")
	text := check.check(ctx, "history", true)
	assert.Contains(t, text, "第1页，本页50条")
	assert.Contains(t, text, "东门：未知人员被拒绝，卡未登记")

	// Page back, and forward again.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("hist-older"))))
	require.Eventually(t, func() bool { s := shownSeqs(t, ctx); return len(s) > 0 && s[0] < first[len(first)-1] }, 10*time.Second, 50*time.Millisecond)
	second := shownSeqs(t, ctx)
	assert.Equal(t, newestFirst(all, 50, func(e controller.Event) bool { return e.Seq < first[len(first)-1] }), second, "page 2 goes on where page 1 ended")
	assert.Contains(t, check.check(ctx, "history page 2", true), "第2页")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("hist-newer"))))
	require.Eventually(t, func() bool { s := shownSeqs(t, ctx); return len(s) > 0 && s[len(s)-1] == first[len(first)-1] }, 10*time.Second, 50*time.Millisecond)

	// Refused only: the face crop is shown beside the refused face.
	require.NoError(t, chromedp.Do(ctx, setField("hist-result", "denied")))
	isDenied := func(e controller.Event) bool { return e.Kind == controller.KindDenied }
	search(t, ctx, "refused", newestFirst(g.events(), 50, isDenied))
	assert.True(t, evalIn[bool](t, ctx, `[...document.querySelectorAll("#hist-list li")].every(li => li.classList.contains("denied"))`))
	require.Eventually(t, func() bool {
		return evalIn[bool](t, ctx, fmt.Sprintf(`(() => { const i = document.querySelector('#hist-list li[data-seq="%d"] img.crop'); return !!i && i.complete && i.naturalWidth > 0; })()`, face.Seq))
	}, 10*time.Second, 50*time.Millisecond, "the refused face's crop beside its event")
	assert.Equal(t, 1, evalIn[int](t, ctx, `document.querySelectorAll("#hist-list img.crop").length`), "only the face has a crop")
	text = check.check(ctx, "history refused", true)
	assert.Contains(t, text, "东门：未知人员被拒绝，人脸未登记")

	// The export: the same filters, as a CSV the page downloads.
	href := evalIn[string](t, ctx, `document.getElementById("hist-export").href`)
	assert.Contains(t, href, "result=denied")
	body := evalIn[string](t, ctx, `fetch(document.getElementById("hist-export").href, {credentials: "same-origin"}).then(r => r.text())`, chromedp.EvalAwaitPromise)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	var denied []string
	for _, e := range g.events() {
		if isDenied(e) {
			denied = append(denied, strconv.FormatUint(e.Seq, 10))
		}
	}
	require.Equal(t, len(denied)+1, len(rows), "a header and every refused event")
	assert.Equal(t, "seq", rows[0][0])
	for i, r := range rows[1:] {
		assert.Equal(t, denied[i], r[0])
		assert.Equal(t, controller.KindDenied, r[2])
	}

	// A person: Li Wei's events (by name), any result.
	require.NoError(t, chromedp.Do(ctx,
		setField("hist-result", ""),
		chromedp.SendKeys(chromedp.ID("hist-person"), "Li Wei"),
	))
	isLi := func(e controller.Event) bool {
		return e.Identity == "li-wei" || strings.Contains(strings.ToLower(e.Name), "li wei")
	}
	want := newestFirst(g.events(), 50, isLi)
	require.Contains(t, want, grant.Seq)
	search(t, ctx, "Li Wei", want)
	check.check(ctx, "history person", true)

	// A door, from a time on (in the controller's zone): the resident's
	// grant, a second earlier, is left out.
	since := grant.Time.Add(time.Second).Truncate(time.Second)
	require.NoError(t, chromedp.Do(ctx,
		setField("hist-person", ""),
		setField("hist-door", "main-gate"),
		setField("hist-from", since.In(shanghai).Format("2006-01-02T15:04:05")),
	))
	inWindow := func(e controller.Event) bool { return e.Door == "main-gate" && !e.Time.Before(since) }
	want = newestFirst(g.events(), 50, inWindow)
	require.NotContains(t, want, grant.Seq)
	search(t, ctx, "door and time", want)
	assert.True(t, evalIn[bool](t, ctx, `[...document.querySelectorAll("#hist-list li")].every(li => li.dataset.door === "main-gate")`))
	assert.Contains(t, evalIn[string](t, ctx, `document.getElementById("hist-export").href`), "since="+strings.ReplaceAll(since.UTC().Format(time.RFC3339), ":", "%3A"))
	check.check(ctx, "history door and time", true)

	// An end before the start is refused on the page, in Chinese.
	require.NoError(t, chromedp.Do(ctx,
		setField("hist-to", since.Add(-time.Hour).In(shanghai).Format("2006-01-02T15:04:05")),
		chromedp.Click(chromedp.ID("hist-search")),
		chromedp.WaitVisible(`//div[@id="hist-msg"][contains(., "结束时间必须晚于开始时间")]`),
	))

	// The phone-sized window shows the same tab.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Click(chromedp.ID("hist-reset"))))
	require.Eventually(t, func() bool { return len(shownSeqs(t, ctx)) == 50 }, 10*time.Second, 50*time.Millisecond)
	assert.LessOrEqual(t, evalIn[int](t, ctx, `document.documentElement.scrollWidth`), 390, "no sideways scrolling at 390 px")
	check.check(ctx, "history narrow", true)
}

// authGet asks the API as the test's admin and returns the status.
func authGet(g *gate, path string) (int, error) {
	req, err := http.NewRequest(http.MethodGet, g.url+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
