//go:build !nodlib

package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"menwei/api"
	"menwei/controller"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
)

// screenshotsEnv names the folder TestScreenshots writes to (relative to
// the repository's root, or absolute).
const screenshotsEnv = "MENWEI_SCREENSHOTS"

// shooter saves screenshots of a page, one PNG per page or workflow, after
// the page's text passed the zh-CN check of TestBrowserChinese.
type shooter struct {
	t     *testing.T
	dir   string
	check *textChecker
}

func (s *shooter) shot(ctx context.Context, name string) {
	s.t.Helper()
	s.check.check(ctx, name, true)
	// The fonts loaded and the page drawn: a picture of what a person sees.
	evalIn[bool](s.t, ctx, `document.fonts.ready.then(() => new Promise(r => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(s.t, err)
	require.NoError(s.t, os.WriteFile(filepath.Join(s.dir, name+".png"), png, 0o644))
	s.t.Logf("%s.png: %d KB", name, len(png)/1024)
}

// scrollTo scrolls the element with id to the top of the window.
func scrollTo(id string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(document.getElementById(%q).scrollIntoView(), true)`, id))(ctx, t)
		return err
	})
}

// TestScreenshots regenerates docs/screenshots (make screenshots): the
// console at 1366×768 and the phone page at 390×844, in zh-CN, driven
// through the real daemon and an emulated face terminal like the browser
// tests. It is a generator, not a check, so it skips unless
// MENWEI_SCREENSHOTS names the folder to write; the workflows it shows are
// checked by TestBrowserChinese, TestBrowserAlarms, TestBrowserResidents,
// TestBrowserVisitors, TestBrowserHistory, TestBrowserAccounts and
// TestBrowserPhonePage.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		t.Skip(screenshotsEnv + " is not set: this test only regenerates docs/screenshots (make screenshots)")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", "..", dir) // go test runs in cmd/menweid
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	photo := filepath.Join(cachePath(t, "photos"), "sample2.jpg") // one face
	img, err := os.ReadFile(photo)
	require.NoError(t, err)
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true,
		pdYAML: "        display_name: 东门读卡器",
		main:   "    display_name: 东门",
		extra:  fmt.Sprintf("timezone: Asia/Shanghai\nface:\n  models: %s", cachePath(t, "models")),
		beforeRun: func(s *store.Store) {
			require.NoError(t, s.PutAccount("wuye", store.RoleOffice, testPassword))
			require.NoError(t, s.PutAccount("wang", store.RoleGuard, testPassword))
			require.NoError(t, s.PutSchedule(store.Schedule{ID: "all-day", Name: "全天", Periods: []string{"mon-sun 00:00-00:00"}}))
		}})
	g.waitOnline(false)
	waitOut(t, term.PD, osdp.OutPermOffAbort)
	s := &shooter{t: t, dir: dir, check: newTextChecker(t)}

	// Residents as the property office enters them; Zhang Wei's cards in
	// the installers' forms, one of them lost and blacklisted.
	for _, p := range []api.PersonRequest{
		{ID: "zhang-3-201", Name: "张伟", Unit: "3-201", Phone: "138 0013 8000", Groups: []string{"building-3"}, Schedule: "all-day"},
		{ID: "wang-5-1102", Name: "王芳", Unit: "5-1102", Phone: "139 1234 5678"},
		{ID: "liu-2-302", Name: "刘洋", Unit: "2-302"},
		{ID: "chen-1-101", Name: "陈静", Unit: "1-101"},
	} {
		require.Equal(t, http.StatusCreated, g.call(http.MethodPost, "/api/v1/residents", "", p, nil), p.ID)
	}
	var lost api.CardView
	for _, c := range []api.CardRequest{{Card: "0012345678", Format: "8h10d", Bits: 26}, {Card: "012,34567", Format: "w26"}} {
		require.Equal(t, http.StatusCreated, g.call(http.MethodPost, "/api/v1/residents/zhang-3-201/cards", "", c, &lost))
	}
	require.Equal(t, http.StatusNoContent, g.call(http.MethodPost, "/api/v1/residents/zhang-3-201/cards/blacklist", "", api.CardRequest{Ref: lost.Ref}, nil))

	ctx := browser(t, "zh-CN")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(g.url+"/console.html"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
	))
	s.shot(ctx, "sign-in")
	signIn(t, ctx, g.url)

	// Alarms: the terminal's tamper switch and a forced door (before any
	// grant, so that the door is locked when it opens).
	term.PD.SetTamper(true)
	tamper := g.waitEvent("tamper", func(e controller.Event) bool { return e.Kind == controller.KindPDTamper })
	require.NoError(t, term.PD.SetInput(0, true))
	forced := g.waitEvent("forced", func(e controller.Event) bool { return e.Kind == controller.KindForcedOpen })
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"]`, tamper.Seq))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"]`, forced.Seq))),
	))
	s.shot(ctx, "alarms")
	require.NoError(t, term.PD.SetInput(0, false))
	term.PD.SetTamper(false)
	for _, seq := range []uint64{tamper.Seq, forced.Seq} {
		require.Equal(t, http.StatusOK, g.call(http.MethodPost, fmt.Sprintf("/api/v1/alarms/%d/ack", seq), "", map[string]string{"note": "已到现场查看"}, nil))
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitNotVisible(chromedp.ID("alarm-panel"))))

	// The gate: a resident's card, a printed card, an unknown card, the
	// lost card and an unknown face, live.
	for _, c := range [][2]int{{1, 1234}, {188, 24910}, {9, 100}, {12, 34567}} {
		seq := g.headSeq()
		term.PD.PresentWiegand26(uint8(c[0]), uint16(c[1]))
		g.waitEvent("the card's decision", func(e controller.Event) bool {
			return e.Seq > seq && (e.Kind == controller.KindGranted || e.Kind == controller.KindDenied)
		})
	}
	require.NoError(t, term.Show(context.Background(), img))
	face := g.waitEvent("unknown face", func(e controller.Event) bool { return e.Kind == controller.KindDenied && e.Reason == "unknown_face" })
	require.Eventually(t, func() bool { return evalIn[int](t, ctx, `document.querySelectorAll("#events li.denied").length`) == 3 },
		10*time.Second, 50*time.Millisecond, "the unknown card, the lost card and the unknown face, live")
	s.shot(ctx, "gate")

	// Residents: the list and Zhang Wei's record.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="residents"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#res-list tr[data-id="zhang-3-201"]`)),
	))
	s.shot(ctx, "residents")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#res-list tr[data-id="zhang-3-201"] button[data-action="open"]`)),
		chromedp.WaitVisible(`//ul[@id="res-cards"]//span[@data-form="w26"][.="韦根26 188,24910"]`),
		scrollTo("res-detail"),
	))
	s.shot(ctx, "resident")

	// Visitors: a registration with its pass as a code and a QR.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="visitors"]`)),
		chromedp.SendKeys(chromedp.ID("v-name"), "张三"),
		chromedp.SendKeys(chromedp.ID("v-host"), "zhang-3-201"),
		chromedp.SetUploadFiles(chromedp.ID("v-photo"), []string{photo}),
		chromedp.Click(chromedp.ID("v-consent")),
		chromedp.Click(chromedp.ID("v-submit")),
		chromedp.WaitVisible(chromedp.ID("pass-qr")),
		scrollTo("visitor-msg"),
	))
	s.shot(ctx, "visitors")

	// History: the denials, with the unknown face's crop beside its event.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="history"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#hist-list li`)),
		setField("hist-result", "denied"),
		setField("hist-door", "main-gate"),
		chromedp.Click(chromedp.ID("hist-search")),
	))
	require.Eventually(t, func() bool {
		return evalIn[bool](t, ctx, fmt.Sprintf(`(() => { const i = document.querySelector('#hist-list li[data-seq="%d"] img.crop'); return !!i && i.complete && i.naturalWidth > 0; })()`, face.Seq))
	}, 10*time.Second, 50*time.Millisecond, "the crop beside the denied face")
	s.shot(ctx, "history")

	// Accounts.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="accounts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#acct-list li[data-name="wuye"]`)),
	))
	s.shot(ctx, "accounts")

	// The phone page at 390×844: Li Wei's doors, then an invitation.
	status, pc := g.post("/api/v1/residents/li-wei/pairing", struct{}{})
	require.Equal(t, http.StatusCreated, status)
	phone, cancel := chromedp.NewContext(ctx)
	defer cancel()
	require.NoError(t, chromedp.Do(phone,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(g.url+"/phone.html"),
		chromedp.WaitVisible(chromedp.ID("pair")),
	))
	s.shot(phone, "phone-pairing")
	require.NoError(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.ID("code"), pc["code"].(string)),
		chromedp.Click(chromedp.ID("pair")),
		chromedp.WaitVisible(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//span[@id="who"][.="Li Wei（3-201）"]`),
		chromedp.Click(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//div[@id="open-msg"][contains(., "东门")]`),
	))
	s.shot(phone, "phone")
	require.NoError(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.ID("guest-name"), "王五"),
		chromedp.Click(chromedp.ID("invite")),
		chromedp.WaitVisible(chromedp.ID("guest-qr")),
		scrollTo("invite-msg"),
	))
	s.shot(phone, "phone-invite")
}
