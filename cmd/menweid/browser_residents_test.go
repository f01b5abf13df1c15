//go:build !nodlib

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"menwei/api"
	"menwei/controller"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/devices/serialport/serialporttest"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/fpmodule"
	"menwei/firmware-mocks/osdppd"
)

// call makes an API request with an Authorization header ("" = the test's
// admin) and decodes the JSON answer into v (when not nil).
func (g *gate) call(method, path, auth string, body any, v any) int {
	g.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(g.t, err)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, g.url+path, rd)
	require.NoError(g.t, err)
	if auth == "" {
		auth = "Bearer " + g.token
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(g.t, err)
	defer resp.Body.Close()
	if v != nil && resp.StatusCode < 300 {
		require.NoError(g.t, json.NewDecoder(resp.Body).Decode(v))
	}
	return resp.StatusCode
}

// visible is whether the element matching sel is shown.
func visible(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.offsetParent !== null; })()`, sel)))
	require.NoError(t, err)
	return ok
}

func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err)
	return s
}

// setValue sets an input's or a select's value as a person would.
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event("change")); return true; })()`, sel, value))(ctx, t)
		return err
	})
}

// The property office's day in the console, in zh-CN, through the real
// daemon and an emulated terminal: sign in as an office account (no door
// buttons), find a resident by name and by card number, add a resident
// (a bad phone number is refused and named), give them a card typed as the
// 10 digits printed on it and one captured at the reader (the captured read
// opens nothing), open the door with the card, blacklist it (the next read
// is refused), set a PIN, enrol a face from a photo (a group photo is
// refused first), see their paired phone's last use and revoke it, and move
// them out. Each step is checked in the store (through the API) or the
// event log, not only on screen.
func TestBrowserResidents(t *testing.T) {
	photos := cachePath(t, "photos")
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true,
		pdYAML: "        display_name: 东门读卡器",
		main:   "    display_name: 东门",
		extra:  fmt.Sprintf("timezone: Asia/Shanghai\nface:\n  models: %s", cachePath(t, "models")),
		beforeRun: func(s *store.Store) {
			require.NoError(t, s.PutAccount("wuye", store.RoleOffice, testPassword))
			require.NoError(t, s.PutSchedule(store.Schedule{ID: "all-day", Name: "全天", Periods: []string{"mon-sun 00:00-00:00"}}))
		}})
	g.waitOnline(false)
	waitOut(t, term.PD, osdp.OutPermOffAbort)
	check := newTextChecker(t)
	const id = "zhang-3-201"
	resident := func() (api.PersonView, int) {
		var p api.PersonView
		status := g.call(http.MethodGet, "/api/v1/residents/"+id, "", nil, &p)
		return p, status
	}

	ctx := browser(t, "zh-CN")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1366, 768),
		chromedp.Navigate(g.url+"/console.html"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("name"), "wuye"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("console-view")),
		chromedp.WaitVisible(chromedp.CSS(`#doors div[data-door="main-gate"]`)),
	))
	text := check.check(ctx, "office signed in", true)
	assert.Contains(t, text, "wuye（物业）")
	assert.False(t, visible(t, ctx, `#doors button[data-door="main-gate"]`), "the office opens no door")
	assert.False(t, visible(t, ctx, "#emergency-unlock"), "nor changes door modes")

	// Find Li Wei by name, and by the W26 form of his card (1:1234).
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="residents"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#res-list tr[data-id="li-wei"]`)),
		chromedp.SendKeys(chromedp.ID("res-q"), "001,01234"),
		chromedp.Click(chromedp.ID("res-search-button")),
		chromedp.WaitVisible(`//span[@id="res-count"][contains(., "共 1 位住户")]`),
	))
	assert.Contains(t, textOf(t, ctx, "#res-list tbody"), "Li Wei")
	check.check(ctx, "search by card", true)
	require.NoError(t, chromedp.Do(ctx,
		setValue("#res-q", "王"),
		chromedp.Click(chromedp.ID("res-search-button")),
		chromedp.WaitVisible(`//table[@id="res-list"]//td[contains(., "没有找到")]`),
		setValue("#res-q", ""),
		chromedp.Click(chromedp.ID("res-search-button")),
		chromedp.WaitVisible(chromedp.CSS(`#res-list tr[data-id="li-wei"]`)),
	))

	// Add a resident; a bad phone number is refused, naming the field, and
	// nothing is made.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("res-new")),
		chromedp.WaitVisible(chromedp.ID("res-form")),
		chromedp.SendKeys(chromedp.ID("res-id"), id),
		chromedp.SendKeys(chromedp.ID("res-name"), "张伟"),
		chromedp.SendKeys(chromedp.ID("res-unit"), "3-201"),
		chromedp.SendKeys(chromedp.ID("res-phone"), "打电话"),
		chromedp.SendKeys(chromedp.ID("res-groups"), "building-3"),
		setValue("#res-schedule", "all-day"),
		chromedp.Click(chromedp.ID("res-save")),
		chromedp.WaitVisible(`//div[@id="res-form-msg"][contains(., "电话号码有误")]`),
	))
	_, status := resident()
	assert.Equal(t, http.StatusNotFound, status, "a refused resident is not made")
	check.check(ctx, "bad phone", true)
	require.NoError(t, chromedp.Do(ctx,
		setValue("#res-phone", "138 0013 8000"),
		chromedp.Click(chromedp.ID("res-save")),
		chromedp.WaitVisible(`//div[@id="res-list-msg"][contains(., "已保存张伟的资料")]`),
		chromedp.WaitVisible(`//h2[@id="res-detail-heading"][.="张伟（3-201）"]`),
	))
	p, status := resident()
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, "张伟", p.Name)
	assert.Equal(t, "3-201", p.Unit)
	assert.Equal(t, "138 0013 8000", p.Phone)
	assert.Equal(t, []string{"building-3"}, p.Groups)
	assert.Equal(t, "all-day", p.Schedule)
	assert.Contains(t, textOf(t, ctx, "#res-detail-info"), "通行时段：全天")

	// A card typed as the 10 digits printed on it, for W26 readers.
	require.NoError(t, chromedp.Do(ctx,
		setValue("#card-format", "8h10d"),
		chromedp.SendKeys(chromedp.ID("card-number"), "0012345678"),
		setValue("#card-bits", "26"),
		chromedp.Click(chromedp.ID("card-add")),
		chromedp.WaitVisible(`//div[@id="card-msg"][contains(., "已为张伟添加门卡")]`),
		chromedp.WaitVisible(`//ul[@id="res-cards"]//span[@data-form="w26"][.="韦根26 188,24910"]`),
	))
	p, _ = resident()
	require.Len(t, p.CardList, 1)
	printed := p.CardList[0]
	assert.Equal(t, "h10301:188:24910", printed.Key)
	assert.Contains(t, textOf(t, ctx, "#res-cards"), "十六进制 BC614E")
	check.check(ctx, "card added", true)

	// The card opens the door at the emulated terminal.
	term.PD.PresentWiegand26(188, 24910)
	grant := g.waitEvent("the printed card's grant", func(e controller.Event) bool {
		return e.Kind == controller.KindGranted && e.Identity == id && e.CardRef == printed.Ref
	})
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
	// The lock's answer is recorded after the OUT: wait for it, so that
	// what follows the capture is the capture's doing only.
	g.waitEvent("the lock released", func(e controller.Event) bool { return e.Kind == "door.unlocked" && e.Seq > grant.Seq })

	// Capture a card at the reader: it opens nothing and is added only
	// when asked.
	before := g.headSeq()
	require.NoError(t, chromedp.Do(ctx,
		setValue("#capture-reader", "gate-reader"),
		chromedp.Click(chromedp.ID("capture-button")),
		chromedp.WaitVisible(`//div[@id="capture-msg"][contains(., "东门读卡器")]`),
	))
	require.Eventually(t, func() bool { return g.ctl.Capturing("gate-reader", 0) }, 10*time.Second, 10*time.Millisecond)
	check.check(ctx, "capturing", true)
	term.PD.PresentWiegand26(2, 5678)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(`//div[@id="capture-msg"][contains(., "002,05678")][contains(., "还没有登记")]`),
		chromedp.WaitVisible(chromedp.ID("capture-add")),
	))
	captured := g.waitEvent("card captured", func(e controller.Event) bool { return e.Kind == controller.KindCardCaptured && e.Seq > before })
	assert.Equal(t, "gate-reader", captured.PD)
	kinds, evs := g.kindsAfter(before)
	assert.NotContains(t, kinds, controller.KindGranted, "a captured read is not judged")
	assert.NotContains(t, kinds, controller.KindDenied)
	assert.NotContains(t, kinds, "door.unlocked", "and opens no door")
	raw, _ := json.Marshal(evs)
	assert.NotContains(t, string(raw), "5678", "the captured number is not in the log")
	check.check(ctx, "captured", true)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("capture-add")),
		chromedp.WaitVisible(`//div[@id="capture-msg"][contains(., "已为张伟添加门卡")]`),
		chromedp.WaitVisible(`//ul[@id="res-cards"]//span[.="韦根26 002,05678"]`),
	))
	p, _ = resident()
	require.Len(t, p.CardList, 2)
	keys := []string{p.CardList[0].Key, p.CardList[1].Key}
	assert.ElementsMatch(t, []string{"h10301:188:24910", "h10301:2:5678"}, keys)
	term.PD.PresentWiegand26(2, 5678)
	g.waitEvent("the captured card's grant", func(e controller.Event) bool {
		return e.Kind == controller.KindGranted && e.Identity == id && e.Seq > captured.Seq
	})
	waitOut(t, term.PD, osdp.OutTempOnThenOff)

	// Blacklist the printed card: the next read is refused at once.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#res-cards li[data-ref="%s"] button[data-action="blacklist"]`, printed.Ref))),
		chromedp.WaitVisible(`//div[@id="card-msg"][contains(., "已挂失")]`),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#res-cards li.bad[data-ref="%s"]`, printed.Ref))),
	))
	p, _ = resident()
	for _, c := range p.CardList {
		assert.Equal(t, c.Ref == printed.Ref, c.Blacklisted, c.Key)
	}
	term.PD.PresentWiegand26(188, 24910)
	denied := g.waitEvent("the blacklisted card refused", func(e controller.Event) bool {
		return e.Kind == controller.KindDenied && e.CardRef == printed.Ref
	})
	assert.Equal(t, "blacklisted", denied.Reason)
	check.check(ctx, "blacklisted", true)

	// A PIN: a short one is refused as a sentence, then one is set.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("pin"), "12"),
		chromedp.Click(chromedp.ID("pin-set")),
		chromedp.WaitVisible(`//div[@id="pin-msg"][contains(., "4 到 12 位数字")]`),
	))
	p, _ = resident()
	assert.False(t, p.HasPIN)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("pin"), "258046"),
		chromedp.Click(chromedp.ID("pin-set")),
		chromedp.WaitVisible(`//div[@id="pin-msg"][contains(., "已为张伟设置新密码")]`),
		chromedp.WaitVisible(`//p[@id="pin-state"][.="已设置密码"]`),
	))
	p, _ = resident()
	assert.True(t, p.HasPIN)

	// A face: a group photo is refused (nothing saved), one face is saved.
	seq := g.headSeq()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("face-consent")), // the consent text shown on the page
		chromedp.SetUploadFiles(chromedp.ID("face-photo"), []string{filepath.Join(photos, "sample1.jpg")}),
		chromedp.Click(chromedp.ID("face-upload")),
		chromedp.WaitVisible(`//div[@id="face-msg"][contains(., "照片没有保存")][contains(., "多张人脸")]`),
	))
	check.check(ctx, "group photo refused", true)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("face-photo"), []string{filepath.Join(photos, "sample2.jpg")}),
		chromedp.Click(chromedp.ID("face-upload")),
		chromedp.WaitVisible(`//div[@id="face-msg"][contains(., "已保存张伟的人脸")]`),
	))
	var faces []controller.Event
	_, evs = g.kindsAfter(seq)
	for _, e := range evs {
		if e.Kind == "credential.added" && e.Identity == id && strings.HasPrefix(e.Detail, "face enrolled") {
			faces = append(faces, e)
		}
	}
	assert.Len(t, faces, 1, "one face enrolled, the group photo was not")
	p, _ = resident()
	require.NotNil(t, p.Faces)
	assert.Equal(t, 1, *p.Faces, "in the store")

	// A paired phone: its last use shows, then it is revoked.
	var code api.PairingCode
	require.Equal(t, http.StatusCreated, g.call(http.MethodPost, "/api/v1/residents/"+id+"/pairing", "", nil, &code))
	var paired api.PairReply
	require.Equal(t, http.StatusCreated, g.call(http.MethodPost, "/api/v1/pair", "-", api.PairRequest{Code: code.Code, Name: "张伟的手机"}, &paired))
	device := "Device " + paired.Token
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#res-list tr[data-id="`+id+`"] button[data-action="open"]`)),
		chromedp.WaitVisible(`//ul[@id="res-phones"]//li[contains(., "张伟的手机")][contains(., "从未使用")]`),
	))
	var opened api.OpenReply
	require.Equal(t, http.StatusOK, g.call(http.MethodPost, "/api/v1/doors/main-gate/open", device, nil, &opened))
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#res-list tr[data-id="`+id+`"] button[data-action="open"]`)),
		chromedp.WaitVisible(`//ul[@id="res-phones"]//li[contains(., "张伟的手机")]//span[contains(., "最近使用")]`),
	))
	check.check(ctx, "phone used", true)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#res-phones li[data-device="`+paired.Device+`"] button[data-action="revoke"]`)),
		chromedp.WaitVisible(`//div[@id="phones-msg"][contains(., "已撤销")]`),
		chromedp.WaitVisible(`//ul[@id="res-phones"]//li[contains(., "已撤销")]`),
	))
	assert.Equal(t, http.StatusUnauthorized, g.call(http.MethodGet, "/api/v1/phone/doors", device, nil, nil), "the revoked phone is no one")
	g.waitEvent("phone revoked", func(e controller.Event) bool {
		return e.Kind == "device.revoked" && strings.Contains(e.Detail, paired.Device)
	})

	// Move out: asked first, then removed everywhere; the card is unknown.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("res-delete")),
		chromedp.WaitVisible(`//div[@id="res-delete-confirm"]//p[contains(., "确定让张伟迁出吗")]`),
	))
	check.check(ctx, "move out asked", true)
	_, status = resident()
	assert.Equal(t, http.StatusOK, status, "asking changes nothing")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("res-delete-yes")),
		chromedp.WaitVisible(`//div[@id="res-list-msg"][contains(., "张伟已迁出")]`),
		chromedp.WaitNotVisible(chromedp.ID("res-detail")),
	))
	_, status = resident()
	assert.Equal(t, http.StatusNotFound, status)
	g.waitEvent("moved out", func(e controller.Event) bool { return e.Kind == "identity.deleted" && e.Identity == id })
	term.PD.PresentWiegand26(2, 5678)
	gone := g.waitEvent("the moved-out resident's card", func(e controller.Event) bool {
		return e.Kind == controller.KindDenied && e.Reason == controller.ReasonUnknownCard && e.Seq > denied.Seq
	})
	assert.Empty(t, gone.Identity)
	check.check(ctx, "moved out", true)

	// The tab on a phone-sized screen.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.WaitVisible(chromedp.ID("res-q"))))
	check.check(ctx, "390×844", true)
}

// Fingerprint enrolment from the Residents tab in zh-CN: the office picks
// the module, the page shows the steps, the resident touches, lifts and
// touches again at the emulated module, and the page says the slot; the
// finger then opens the module's door (event log).
func TestBrowserResidentsFingerprint(t *testing.T) {
	m, err := fpmodule.New(fpmodule.Config{})
	require.NoError(t, err)
	master, slave := serialporttest.PtyPair(t)
	mctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.Serve(mctx, master) }()
	t.Cleanup(func() { stop(); <-done })
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true,
		door: `  - name: fp-door
    display_name: 指纹门
    readers: [{ fingerprint: fpm1 }]
    lock: { pd: gate-reader, output: 2 }
    policy: { alternative: phone }`,
		extra: fmt.Sprintf("timezone: Asia/Shanghai\nfingerprint_modules:\n  - { name: fpm1, device: %s }", slave),
		beforeRun: func(s *store.Store) {
			require.NoError(t, s.PutAccount("wuye", store.RoleOffice, testPassword))
		}})
	g.waitEvent("fpm1 online", func(e controller.Event) bool { return e.Kind == controller.KindPDOnline && e.PD == "fpm1" })
	check := newTextChecker(t)

	ctx := browser(t, "zh-CN")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(g.url+"/console.html#residents"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("name"), "wuye"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.CSS(`#res-list tr[data-id="li-wei"] button[data-action="open"]`)),
		chromedp.Click(chromedp.CSS(`#res-list tr[data-id="li-wei"] button[data-action="open"]`)),
		chromedp.WaitReady(`//select[@id="finger-module"]/option[@value="fpm1"]`),
		chromedp.Click(chromedp.ID("finger-consent")),
		chromedp.Click(chromedp.ID("finger-enrol")),
		chromedp.WaitVisible(chromedp.ID("finger-steps")),
		chromedp.WaitVisible(`//div[@id="finger-msg"][contains(., "fpm1")]`),
	))
	text := check.check(ctx, "fingerprint steps", true)
	assert.Contains(t, text, "再把同一根手指按一次")

	// The resident touches, lifts and touches again until the page answers.
	enrolled := `//div[@id="finger-msg"][contains(., "已为Li Wei录入指纹")]`
	require.Eventually(t, func() bool {
		m.PutFinger(7)
		time.Sleep(300 * time.Millisecond) // a finger held on the sensor, as a person does
		m.RemoveFinger()
		time.Sleep(300 * time.Millisecond)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("finger-msg").textContent.includes("已为Li Wei录入指纹")`))
		return err == nil && ok
	}, 40*time.Second, 10*time.Millisecond)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(enrolled), chromedp.WaitNotVisible(chromedp.ID("finger-steps"))))
	check.check(ctx, "fingerprint enrolled", true)
	ev := g.waitEvent("enrolment", func(e controller.Event) bool {
		return e.Kind == "credential.added" && strings.HasPrefix(e.Detail, "fingerprint at fpm1")
	})
	assert.Equal(t, "li-wei", ev.Identity)
	assert.Contains(t, textOf(t, ctx, "#res-detail-info"), "已录入 1 枚指纹")

	m.PutFinger(7)
	granted := g.waitEvent("finger grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Door == "fp-door" })
	assert.Equal(t, "li-wei", granted.Identity)
	m.RemoveFinger()
}

// Bulk import in zh-CN: a GB18030 file (as Excel on a Chinese Windows
// saves it) with a bad row is checked, its problem listed as a sentence and
// nothing written; the fixed file is checked and imported, and the residents
// and their cards are in the store.
func TestBrowserResidentsImport(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true, extra: "timezone: Asia/Shanghai",
		beforeRun: func(s *store.Store) {
			require.NoError(t, s.PutAccount("wuye", store.RoleOffice, testPassword))
		}})
	g.waitOnline(false)
	check := newTextChecker(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
		require.NoError(t, err)
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, b, 0o644))
		return path
	}
	bad := write("bad.csv", "楼号,房号,姓名,电话,卡号\n5,1101,刘洋,139 0000 0001,0012345678\n5,1102,王芳,打电话,\n")
	good := write("good.csv", "楼号,房号,姓名,电话,卡号\n5,1101,刘洋,139 0000 0001,0012345678\n5,1102,王芳,139 0000 0002,\"003,45678\"\n")
	residents := func() map[string]api.PersonView {
		var page api.ResidentsPage
		g.get("/api/v1/residents?q=5-11", &page)
		out := map[string]api.PersonView{}
		for _, p := range page.People {
			out[p.Name] = p
		}
		return out
	}

	ctx := browser(t, "zh-CN")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(g.url+"/console.html#residents"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("name"), "wuye"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("imp-file")),
		chromedp.SetUploadFiles(chromedp.ID("imp-file"), []string{bad}),
		chromedp.Click(chromedp.ID("imp-check")),
		chromedp.WaitVisible(`//div[@id="imp-msg"][contains(., "1 行有问题")][contains(., "GB18030")]`),
		chromedp.WaitVisible(`//table[@id="imp-rows"]//tr[@data-line="3"]//div[.="电话：写法不对"]`),
	))
	text := check.check(ctx, "import checked", true)
	assert.Contains(t, text, "刘洋", "decoded from GB18030")
	assert.Empty(t, residents(), "a dry run writes nothing")
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("imp-run").disabled`))
	require.NoError(t, err)
	assert.True(t, disabled, "no import while a row has a problem")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("imp-file"), []string{good}),
		chromedp.Click(chromedp.ID("imp-check")),
		chromedp.WaitVisible(`//div[@id="imp-msg"][contains(., "预检通过")]`),
	))
	assert.Empty(t, residents())
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("imp-run")),
		chromedp.WaitVisible(`//div[@id="imp-msg"][.="已导入 2 位住户"]`),
		chromedp.WaitVisible(`//table[@id="res-list"]//td[.="王芳"]`),
	))
	check.check(ctx, "imported", true)
	got := residents()
	require.Len(t, got, 2)
	assert.Equal(t, "5-1101", got["刘洋"].Unit)
	assert.Equal(t, "139 0000 0001", got["刘洋"].Phone)
	require.Len(t, got["刘洋"].CardList, 1)
	assert.Equal(t, "h10301:188:24910", got["刘洋"].CardList[0].Key, "the printed 10 digits, for the 26-bit readers")
	require.Len(t, got["王芳"].CardList, 1)
	assert.Equal(t, "h10301:3:45678", got["王芳"].CardList[0].Key)
	g.waitEvent("import audited", func(e controller.Event) bool { return e.Kind == "residents.imported" })

	// The imported card opens the door.
	pd.PresentWiegand26(188, 24910)
	granted := g.waitEvent("imported card", func(e controller.Event) bool { return e.Kind == controller.KindGranted })
	assert.Equal(t, got["刘洋"].ID, granted.Identity)
}
