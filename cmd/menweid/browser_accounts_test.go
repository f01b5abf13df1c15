//go:build !nodlib

package main

import (
	"context"
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

	"menwei/api"
	"menwei/controller"
	"menwei/controller/store"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/osdppd"
)

// signInAs opens the console at url and signs name in.
func signInAs(t *testing.T, ctx context.Context, url, name, password string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(url+"/console.html"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("console-view")),
		chromedp.WaitVisible(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
	))
}

// accounts reads the accounts as the API has them (from the store).
func (g *gate) accounts() map[string]api.AccountView {
	var r api.AccountsReply
	g.get("/api/v1/accounts", &r)
	out := map[string]api.AccountView{}
	for _, a := range r.Accounts {
		out[a.Name] = a
	}
	return out
}

// lastEvent is the newest event of a kind in the log (zero if none).
func (g *gate) lastEvent(kind string) controller.Event {
	evs := g.events()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Kind == kind {
			return evs[i]
		}
	}
	return controller.Event{}
}

// The accounts tab in zh-CN: the admin adds a guard, who signs in in
// another browser; disabled, the guard's next action fails with a Chinese
// sentence and the sign-in says the account is disabled; the admin enables
// the account and resets its password; the guard changes their own
// password (a wrong old one first), sees when the session ends, and signs
// out. Each step is checked in the store (through the API) and the log.
func TestBrowserAccounts(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true, main: "    display_name: 东门", extra: "timezone: Asia/Shanghai"})
	g.waitOnline(false)
	waitOut(t, pd, osdp.OutPermOffAbort)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	check := newTextChecker(t)

	admin := browser(t, "zh-CN")
	signIn(t, admin, g.url)
	require.NoError(t, chromedp.Do(admin,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="accounts"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#acct-list li[data-name="admin"]`)),
	))
	text := check.check(admin, "accounts", true)
	assert.Contains(t, text, "admin（管理员）")
	assert.Contains(t, text, "这是您自己的账号")
	assert.Equal(t, "guard", evalIn[string](t, admin, `document.getElementById("acct-role").value`), "a new account is a guard unless chosen")
	assert.Equal(t, strings.Join(store.Roles, ","), evalIn[string](t, admin, `[...document.getElementById("acct-role").options].map(o => o.value).join()`), "the roles from the store's list")
	assert.Contains(t, text+evalIn[string](t, admin, `document.getElementById("acct-role").textContent`), "物业", "the property office role, in Chinese")

	// A password too short: refused on the page, nothing added.
	require.NoError(t, chromedp.Do(admin,
		chromedp.SendKeys(chromedp.ID("acct-name"), "wang"),
		chromedp.SendKeys(chromedp.ID("acct-password"), "short"),
		chromedp.Click(chromedp.ID("acct-add")),
		chromedp.WaitVisible(`//div[@id="acct-add-msg"][contains(., "密码至少需要10个字符")]`),
	))
	check.check(admin, "short password", true)
	_, exists := g.accounts()["wang"]
	assert.False(t, exists)

	const first = "王师傅的第一个登录密码"
	require.NoError(t, chromedp.Do(admin,
		setField("acct-password", ""),
		chromedp.SendKeys(chromedp.ID("acct-password"), first),
		chromedp.Click(chromedp.ID("acct-add")),
		chromedp.WaitVisible(`//div[@id="acct-add-msg"][contains(., "已添加账号wang（门卫）")]`),
		chromedp.WaitVisible(chromedp.CSS(`#acct-list li[data-name="wang"]`)),
	))
	check.check(admin, "account added", true)
	wang := g.accounts()["wang"]
	assert.Equal(t, "guard", wang.Role)
	assert.False(t, wang.Disabled)
	added := g.lastEvent("account.added")
	assert.Equal(t, "admin", added.Account)
	assert.Equal(t, "wang", added.Name)
	assert.NotContains(t, added.Detail, first, "never the password")

	// The guard signs in in another browser context (its own cookies).
	guard, cancel := chromedp.NewContext(admin, chromedp.WithNewBrowserContext())
	defer cancel()
	signInAs(t, guard, g.url, "wang", first)
	text = check.check(guard, "guard signed in", true)
	assert.Contains(t, text, "wang（门卫）")
	expires := evalIn[string](t, guard, `session.expires`)
	exp, err := time.Parse(time.RFC3339Nano, expires)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(12*time.Hour), exp, time.Minute)
	assert.Equal(t, "登录有效至"+exp.In(shanghai).Format("2006/01/02 15:04:05"), evalIn[string](t, guard, `document.getElementById("expiry").textContent`), "the session's end, in the controller's zone")
	require.NoError(t, chromedp.Do(guard, chromedp.Click(chromedp.CSS(`#tabs button[data-tab="accounts"]`)), chromedp.WaitVisible(chromedp.ID("pw-form"))))
	assert.False(t, evalIn[bool](t, guard, `!document.getElementById("acct-admin").classList.contains("hidden")`), "a guard does not see the account management")

	// The admin disables the guard: the guard's next action fails.
	require.NoError(t, chromedp.Do(admin,
		chromedp.Click(chromedp.CSS(`#acct-list li[data-name="wang"] button.disable`)),
		chromedp.WaitVisible(`//div[@id="acct-msg"][contains(., "已停用账号wang")]`),
		chromedp.WaitVisible(chromedp.CSS(`#acct-list li[data-name="wang"][data-disabled="1"]`)),
	))
	check.check(admin, "disabled", true)
	assert.True(t, g.accounts()["wang"].Disabled)
	disabled := g.lastEvent("account.disabled")
	assert.Equal(t, "admin", disabled.Account)
	assert.Equal(t, "wang", disabled.Name)
	before := g.headSeq()
	require.NoError(t, chromedp.Do(guard,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="gate"]`)),
		chromedp.Click(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.WaitVisible(`//div[@id="login-msg"][contains(., "登录已失效")]`),
	))
	text = check.check(guard, "guard's session ended", true)
	assert.Contains(t, text, "登录已失效（可能已过期、密码已被修改或账号已被停用），请重新登录")
	kinds, _ := g.kindsAfter(before)
	assert.NotContains(t, kinds, controller.KindGranted, "the door was not opened for a disabled account")
	require.NoError(t, chromedp.Do(guard,
		setField("name", ""),
		chromedp.SendKeys(chromedp.ID("name"), "wang"),
		chromedp.SendKeys(chromedp.ID("password"), first),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(`//div[@id="login-msg"][contains(., "此账号已被停用，请联系管理员")]`),
	))
	check.check(guard, "disabled sign-in", true)

	// The admin enables the account and resets its password.
	const second = "王师傅重置以后的新密码"
	require.NoError(t, chromedp.Do(admin,
		chromedp.Click(chromedp.CSS(`#acct-list li[data-name="wang"] button.enable`)),
		chromedp.WaitVisible(`//div[@id="acct-msg"][contains(., "已启用账号wang")]`),
		chromedp.Click(chromedp.CSS(`#acct-list li[data-name="wang"] button.reset`)),
		chromedp.WaitVisible(chromedp.ID("reset-dialog")),
	))
	text = check.check(admin, "reset dialog", true)
	assert.Contains(t, text, "重置wang的密码")
	require.NoError(t, chromedp.Do(admin,
		chromedp.SendKeys(chromedp.ID("reset-password"), second),
		chromedp.Click(chromedp.ID("reset-yes")),
		chromedp.WaitNotVisible(chromedp.ID("reset-dialog")),
		chromedp.WaitVisible(`//div[@id="acct-msg"][contains(., "已重置wang的密码")]`),
	))
	check.check(admin, "password reset", true)
	assert.False(t, g.accounts()["wang"].Disabled)
	reset := g.lastEvent("account.password_reset")
	assert.Equal(t, "admin", reset.Account)
	assert.Equal(t, "wang", reset.Name)
	assert.NotContains(t, reset.Detail, second)

	// The guard signs in with the new password and changes it.
	require.NoError(t, chromedp.Do(guard, setField("password", "")))
	require.NoError(t, chromedp.Do(guard,
		chromedp.SendKeys(chromedp.ID("password"), second),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("console-view")),
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="accounts"]`)),
		chromedp.SendKeys(chromedp.ID("pw-old"), "不是当前的密码啊啊啊"),
		chromedp.SendKeys(chromedp.ID("pw-new"), "王师傅自己改过的新密码"),
		chromedp.SendKeys(chromedp.ID("pw-new2"), "王师傅自己改过的新密码"),
		chromedp.Click(chromedp.ID("pw-submit")),
		chromedp.WaitVisible(`//div[@id="pw-msg"][contains(., "当前密码不对，密码没有修改")]`),
	))
	check.check(guard, "wrong old password", true)
	assert.Zero(t, g.lastEvent("account.password_changed").Seq, "nothing changed")
	require.NoError(t, chromedp.Do(guard,
		setField("pw-old", ""),
		chromedp.SendKeys(chromedp.ID("pw-old"), second),
		chromedp.Click(chromedp.ID("pw-submit")),
		chromedp.WaitVisible(`//div[@id="pw-msg"][contains(., "密码已修改")]`),
	))
	check.check(guard, "password changed", true)
	changed := g.lastEvent("account.password_changed")
	assert.Equal(t, "wang", changed.Account)
	assert.Equal(t, http.StatusOK, g.loginStatus("wang", "王师傅自己改过的新密码"), "the new password works")

	// Sign out: the page goes back to the sign-in form and the server
	// forgets the session.
	require.NoError(t, chromedp.Do(guard,
		chromedp.Click(chromedp.ID("sign-out")),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.WaitVisible(`//div[@id="login-msg"][contains(., "已退出登录")]`),
	))
	check.check(guard, "signed out", true)
	assert.Equal(t, 401, evalIn[int](t, guard, `fetch("/api/v1/session").then(r => r.status)`, chromedp.EvalAwaitPromise))
	assert.Equal(t, "wang", g.lastEvent("auth.logout").Account)
	assert.True(t, evalIn[bool](t, guard, `document.getElementById("expiry").classList.contains("hidden")`), "no expiry once signed out")
}

// loginStatus tries a sign-in over the API and returns the status.
func (g *gate) loginStatus(name, password string) int {
	g.t.Helper()
	resp, err := http.DefaultClient.Post(g.url+"/api/v1/login", "application/json", strings.NewReader(`{"name":"`+name+`","password":"`+password+`"}`))
	require.NoError(g.t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// visitorsIn reads the visitors of a state over the API (from the store).
func (g *gate) visitorsIn(state string) map[string]api.VisitorView {
	var p api.VisitorsPage
	g.get("/api/v1/visitors?state="+state, &p)
	out := map[string]api.VisitorView{}
	for _, v := range p.People {
		out[v.ID] = v
	}
	return out
}

// The visitors tab in zh-CN: two visitors registered with the same face
// photo (the second is warned, naming the first, and the warning is true:
// the face is refused as ambiguous); revoking the first from the warning
// lets the second in by face; the second's entries are listed; revoking it
// (asked first, cancel keeps it) ends the pass at the terminal: its face
// is no longer known and its pass code is refused as revoked.
func TestBrowserVisitors(t *testing.T) {
	photo := filepath.Join(cachePath(t, "photos"), "sample2.jpg")
	img, err := os.ReadFile(photo)
	require.NoError(t, err)
	term := faceTerminal(t, facepd.JPEGMode, osdppdConfig(101))
	g := startGateWith(t, gateSetup{pd: term.PD, seed: true, main: "    display_name: 东门",
		extra: fmt.Sprintf("timezone: Asia/Shanghai\nface:\n  models: %s", cachePath(t, "models"))})
	g.waitOnline(false)
	waitOut(t, term.PD, osdp.OutPermOffAbort)
	check := newTextChecker(t)

	ctx := browser(t, "zh-CN")
	signIn(t, ctx, g.url)
	register := func(name string) (id, code string) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx,
			setField("v-name", name),
			setField("v-host", "li-wei"),
			chromedp.SetUploadFiles(chromedp.ID("v-photo"), []string{photo}),
			chromedp.Click(chromedp.ID("v-consent")), // each visitor agrees to the text shown
			chromedp.Click(chromedp.ID("v-submit")),
			chromedp.WaitVisible(fmt.Sprintf(`//div[@id="visitor-msg"][contains(., "已登记访客%s（")]`, name)),
		))
		return evalIn[string](t, ctx, `document.getElementById("visitor-msg").dataset.id`), evalIn[string](t, ctx, `document.getElementById("pass-code").dataset.code`)
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#tabs button[data-tab="visitors"]`)), chromedp.WaitVisible(chromedp.ID("visitor-form"))))
	first, _ := register("张三")
	assert.True(t, evalIn[bool](t, ctx, `document.getElementById("visitor-warning").classList.contains("hidden")`), "a new face: no warning")
	second, code := register("张三丰")
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("visitor-warning"))))
	text := check.check(ctx, "same face", true)
	assert.Contains(t, text, "注意：这张照片与访客张三（编号 "+first+"）是同一张脸")
	assert.Equal(t, first, evalIn[string](t, ctx, `document.getElementById("visitor-warning").dataset.identity`))
	assert.Contains(t, g.lastEvent("visitor.registered").Mentions, first, "the audit event names the look-alike")
	cur := g.visitorsIn("current")
	require.Contains(t, cur, first)
	require.Contains(t, cur, second, "registered despite the warning")

	// The warning is true: the face is ambiguous, refused.
	show := func(what string) controller.Event {
		t.Helper()
		after := g.headSeq()
		require.NoError(t, term.Show(context.Background(), img))
		return g.waitEvent(what, func(e controller.Event) bool {
			return e.Seq > after && (e.Kind == controller.KindGranted || e.Kind == controller.KindDenied)
		})
	}
	d := show("two visitors, one face")
	assert.Equal(t, controller.KindDenied, d.Kind)
	assert.Equal(t, "unknown_face", d.Reason)

	// The list shows both; revoke the first from the warning (asked first).
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#vis-list li[data-id="%s"]`, first))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#vis-list li[data-id="%s"]`, second))),
	))
	text = check.check(ctx, "visitor list", true)
	assert.Contains(t, text, "张三，拜访Li Wei")
	assert.Contains(t, text, "已进入0次，共可进入2次")
	assert.Contains(t, text, "可进入：所有门")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("visitor-warning-revoke")),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
	))
	text = check.check(ctx, "revoke asks", true)
	assert.Contains(t, text, "确认撤销张三的通行证？")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("confirm-yes")),
		chromedp.WaitVisible(`//div[@id="visitor-msg"][contains(., "已撤销张三的通行证")]`),
		chromedp.WaitNotVisible(chromedp.ID("visitor-warning")),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`#vis-list li[data-id="%s"]`, first))),
	))
	past := g.visitorsIn("past")
	require.Contains(t, past, first, "the record stays, as a past pass")
	assert.Equal(t, "revoked", past[first].State)
	assert.Equal(t, "admin", past[first].Pass.RevokedBy)
	rev := g.lastEvent("visitor.revoked")
	assert.Equal(t, first, rev.Identity)
	assert.Equal(t, "admin", rev.Account)

	// Now the face is the second visitor's alone: let in.
	d = show("the second visitor")
	assert.Equal(t, controller.KindGranted, d.Kind, d.Reason)
	assert.Equal(t, second, d.Identity)
	waitOut(t, term.PD, osdp.OutTempOnThenOff)

	// The second visitor's entries, from the event log.
	sel := fmt.Sprintf(`#vis-list li[data-id="%s"]`, second)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#vis-search`)),
		chromedp.WaitVisible(fmt.Sprintf(`//li[@data-id="%s"]//div[contains(., "已进入1次，共可进入2次")]`, second)),
		chromedp.Click(chromedp.CSS(sel+` button.show-uses`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`%s .uses li[data-seq="%d"]`, sel, d.Seq))),
	))
	text = check.check(ctx, "entries", true)
	assert.Contains(t, text, "东门：张三丰通行")

	// Revoke it from the list: cancel keeps it, confirm ends it.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(sel+` button.revoke`)),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
		chromedp.Click(chromedp.ID("confirm-cancel")),
		chromedp.WaitNotVisible(chromedp.ID("confirm-dialog")),
	))
	assert.Equal(t, "active", g.visitorsIn("current")[second].State, "cancel changes nothing")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(sel+` button.revoke`)),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
		chromedp.Click(chromedp.ID("confirm-yes")),
		chromedp.WaitVisible(`//div[@id="vis-msg"][contains(., "已撤销张三丰的通行证")]`),
		chromedp.WaitNotPresent(chromedp.CSS(sel)),
	))
	assert.Equal(t, "revoked", g.visitorsIn("past")[second].State)
	d = show("a revoked visitor's face")
	assert.Equal(t, controller.KindDenied, d.Kind)
	assert.Equal(t, "unknown_face", d.Reason, "the revoked visitor's face is deleted")
	after := g.headSeq()
	term.PD.TypeKeys(code + "#")
	typed := g.waitEvent("the revoked pass code", func(e controller.Event) bool {
		return e.Seq > after && (e.Kind == controller.KindGranted || e.Kind == controller.KindDenied)
	})
	assert.Equal(t, controller.KindDenied, typed.Kind)
	assert.Equal(t, "pass_revoked", typed.Reason)
	assert.Equal(t, second, typed.Identity)

	// The past passes: both, revoked, with who revoked them.
	require.NoError(t, chromedp.Do(ctx,
		setField("vis-state", "past"),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#vis-list li[data-id="%s"][data-state="revoked"]`, first))),
		chromedp.WaitVisible(chromedp.CSS(sel+`[data-state="revoked"]`)),
	))
	text = check.check(ctx, "past passes", true)
	assert.Contains(t, text, "已撤销")
	assert.Regexp(t, `admin于\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}撤销`, text)
}

// The phone page at 390×844 in zh-CN: the resident's name and flat; large
// text toggles and survives a reload; an invitation says which doors and
// until when (checked against the store); sharing falls back to copying in
// headless chromium (no Web Share API there); unpairing asks first, cancel
// keeps the pairing, confirm revokes the credential on the server.
func TestBrowserPhonePage(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true, main: "    display_name: 东门", extra: "timezone: Asia/Shanghai"})
	g.waitOnline(false)
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	check := newTextChecker(t)
	status, pc := g.post("/api/v1/residents/li-wei/pairing", struct{}{})
	require.Equal(t, http.StatusCreated, status)

	phone := browser(t, "zh-CN")
	require.NoError(t, chromedp.Do(phone,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(g.url+"/phone.html"),
		chromedp.WaitVisible(chromedp.ID("pair")),
		chromedp.SendKeys(chromedp.ID("code"), pc["code"].(string)),
		chromedp.Click(chromedp.ID("pair")),
		chromedp.WaitVisible(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//span[@id="who"][.="Li Wei（3-201）"]`),
	))
	check.check(phone, "phone", true)
	token := evalIn[string](t, phone, `localStorage.getItem("menwei-device")`)
	require.NotEmpty(t, token)

	// Large text: on, remembered across a reload, and off again.
	fontSize := func() string { return evalIn[string](t, phone, `getComputedStyle(document.body).fontSize`) }
	assert.Equal(t, "16px", fontSize())
	require.NoError(t, chromedp.Do(phone, chromedp.Click(chromedp.ID("big-text")), chromedp.WaitVisible(`//button[@id="big-text"][.="恢复正常字体"]`)))
	assert.Equal(t, "22px", fontSize())
	assert.Equal(t, "true", evalIn[string](t, phone, `document.getElementById("big-text").getAttribute("aria-pressed")`))
	require.NoError(t, chromedp.Do(phone, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`))))
	assert.Equal(t, "22px", fontSize(), "large text survives a reload")
	assert.True(t, evalIn[bool](t, phone, `document.documentElement.classList.contains("big")`))
	text := check.check(phone, "large text", true)
	assert.Contains(t, text, "恢复正常字体")
	assert.LessOrEqual(t, evalIn[int](t, phone, `document.documentElement.scrollWidth`), 390, "no sideways scrolling at 390 px")

	// Invite: at least one door; then every door, until when.
	require.NoError(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.ID("guest-name"), "王五"),
		chromedp.Click(chromedp.CSS(`#guest-doors input[value="main-gate"]`)),
		chromedp.Click(chromedp.ID("invite")),
		chromedp.WaitVisible(`//div[@id="invite-msg"][contains(., "请至少选择一个门")]`),
		chromedp.Click(chromedp.CSS(`#guest-doors input[value="main-gate"]`)),
		chromedp.Click(chromedp.ID("invite")),
		chromedp.WaitVisible(chromedp.ID("guest-qr")),
	))
	var invited api.VisitorView
	for _, v := range g.visitorsIn("current") {
		if v.Name == "王五" {
			invited = v
		}
	}
	require.NotEmpty(t, invited.ID, "the invitation is in the store")
	assert.Equal(t, "li-wei", invited.Host)
	assert.Empty(t, invited.Pass.Doors, "every door")
	assert.Equal(t, 2, invited.Pass.MaxUses)
	assert.WithinDuration(t, time.Now().Add(4*time.Hour), invited.Pass.Until, time.Minute)
	msg := evalIn[string](t, phone, `document.getElementById("invite-msg").textContent`)
	assert.Equal(t, "请把下面的访客码发给王五：可进入所有门，可进入2次，有效期至"+invited.Pass.Until.In(shanghai).Format("2006/01/02 15:04:05"), msg)
	check.check(phone, "invited", true)

	// Share: headless chromium on Linux has no Web Share API, so the code
	// is copied.
	assert.False(t, evalIn[bool](t, phone, `!!navigator.share`), "this test expects no Web Share API")
	require.NoError(t, chromedp.Do(phone,
		chromedp.Click(chromedp.ID("share")),
		chromedp.WaitVisible(`//div[@id="share-msg"][contains(., "访客码已复制")]`),
	))
	assert.Equal(t, "1", evalIn[string](t, phone, `document.getElementById("share-msg").dataset.copied`))
	shared := evalIn[string](t, phone, `guestText()`)
	assert.Contains(t, shared, evalIn[string](t, phone, `document.getElementById("guest-code").dataset.code`), "what is copied has the code")
	assert.Contains(t, shared, "可进入所有门")
	check.check(phone, "copied", true)

	// Unpair: asked first; cancel keeps the pairing.
	deviceStatus := func() int {
		req, _ := http.NewRequest(http.MethodGet, g.url+"/api/v1/phone/me", nil)
		req.Header.Set("Authorization", "Device "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.NoError(t, chromedp.Do(phone,
		chromedp.Click(chromedp.ID("forget")),
		chromedp.WaitVisible(chromedp.ID("unpair-dialog")),
	))
	text = check.check(phone, "unpair asks", true)
	assert.Contains(t, text, "解除这部手机的配对？")
	require.NoError(t, chromedp.Do(phone,
		chromedp.Click(chromedp.ID("unpair-cancel")),
		chromedp.WaitNotVisible(chromedp.ID("unpair-dialog")),
	))
	assert.Equal(t, token, evalIn[string](t, phone, `localStorage.getItem("menwei-device") || ""`), "cancel keeps it")
	assert.Equal(t, http.StatusOK, deviceStatus())
	assert.Zero(t, g.lastEvent("device.unpaired").Seq)

	// Confirm: revoked on the server, then forgotten on the phone.
	require.NoError(t, chromedp.Do(phone,
		chromedp.Click(chromedp.ID("forget")),
		chromedp.WaitVisible(chromedp.ID("unpair-dialog")),
		chromedp.Click(chromedp.ID("unpair-yes")),
		chromedp.WaitVisible(chromedp.ID("pair-view")),
		chromedp.WaitVisible(`//div[@id="pair-msg"][contains(., "已解除配对")]`),
	))
	check.check(phone, "unpaired", true)
	assert.Equal(t, http.StatusUnauthorized, deviceStatus(), "the credential is refused by the API")
	assert.Equal(t, "", evalIn[string](t, phone, `localStorage.getItem("menwei-device") || ""`))
	assert.Equal(t, "li-wei", g.lastEvent("device.unpaired").Identity)
}
