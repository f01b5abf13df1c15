//go:build !nodlib

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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

// browser starts headless Debian chromium (make test installs it) whose
// preferred language is lang (navigator.languages, Accept-Language).
func browser(t *testing.T, lang string) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	require.NoError(t, err, "Debian's chromium is needed for the page tests (make test installs it)")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // CI runs as root
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("lang", lang),
		chromedp.Flag("accept-lang", lang),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// A guard signs in to the console, registers a visitor with a photo, and
// sees the visitor's entry appear live when the face terminal shows them;
// a paired phone page opens a door and the emulated PD gets the OUT. The
// browser prefers English: the pages speak English (the same workflows in
// zh-CN: TestBrowserChinese).
func TestBrowserGuardConsoleAndPhonePage(t *testing.T) {
	photo := filepath.Join(cachePath(t, "photos"), "sample2.jpg") // one face
	img, err := os.ReadFile(photo)
	require.NoError(t, err)
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true, extra: fmt.Sprintf("face:\n  models: %s", cachePath(t, "models"))})
	g.waitOnline(false)
	waitOut(t, term.PD, osdp.OutPermOffAbort)

	ctx := browser(t, "en-US")
	var msg string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(g.url+"/console.html"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("name"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("console-view")),
		chromedp.WaitVisible(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
		// Register a visitor with a photo.
		chromedp.SendKeys(chromedp.ID("v-name"), "Zhang San"),
		chromedp.SendKeys(chromedp.ID("v-host"), "li-wei"),
		chromedp.SetUploadFiles(chromedp.ID("v-photo"), []string{photo}),
		chromedp.Click(chromedp.ID("v-consent")), // the visitor agreed to the text shown
		chromedp.Click(chromedp.ID("v-submit")),
		chromedp.WaitVisible(`//div[@id="visitor-msg"][contains(., "registered")]`),
	))
	msg, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("visitor-msg")))
	require.NoError(t, err)
	assert.Contains(t, msg, "Zhang San")
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("pass-qr"))))
	passText, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("pass-code")))
	require.NoError(t, err)
	assert.Regexp(t, `Pass code: \d{8} then #`, passText, "the pass as a code and a QR")
	vid := strings.TrimSuffix(msg[strings.LastIndex(msg, "(")+1:], ")")

	// The face terminal sees the visitor: the console shows the entry live.
	require.NoError(t, term.Show(context.Background(), img))
	sel := chromedp.CSS(fmt.Sprintf(`#events li.granted[data-identity="%s"]`, vid))
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(sel)))
	line, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err)
	assert.Contains(t, line, "Zhang San")
	waitOut(t, term.PD, osdp.OutTempOnThenOff)

	// Pair Li Wei's phone from the console, then open the gate from the phone page.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("pair-resident"), "li-wei"),
		chromedp.Click(chromedp.ID("pair-button")),
		chromedp.WaitVisible(`//div[@id="pair-msg"][contains(., "code")]`),
	))
	pairMsg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("pair-msg")))
	require.NoError(t, err)
	code := strings.Fields(pairMsg)[1]
	phone, cancel := chromedp.NewContext(ctx) // a second tab: the phone
	defer cancel()
	require.NoError(t, chromedp.Do(phone,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(g.url+"/phone.html"),
		chromedp.WaitVisible(chromedp.ID("pair")),
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("pair")),
		chromedp.WaitVisible(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
		chromedp.Click(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//div[@id="open-msg"][contains(., "opened")]`),
	))
	opened, err := chromedp.Run(phone, chromedp.Text(chromedp.ID("open-msg")))
	require.NoError(t, err)
	assert.Contains(t, opened, "main-gate: opened")
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
	ev := g.waitEvent("phone grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Factor == "phone" })
	assert.Equal(t, "li-wei", ev.Identity)

	// Li Wei invites a guest from the phone; the guest types the code at the reader.
	require.NoError(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.ID("guest-name"), "Wang Wu"),
		chromedp.Click(chromedp.ID("invite")),
		chromedp.WaitVisible(chromedp.ID("guest-qr")),
	))
	codeText, err := chromedp.Run(phone, chromedp.Text(chromedp.ID("guest-code")))
	require.NoError(t, err)
	guestCode := strings.Fields(codeText)[1]
	term.TypeKeys(guestCode + "#")
	guest := g.waitEvent("guest grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Factor == "code" })
	assert.Equal(t, "Wang Wu", guest.Name)
}
