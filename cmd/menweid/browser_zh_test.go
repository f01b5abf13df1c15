//go:build !nodlib

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/facepd"
	"menwei/firmware-mocks/osdppd"
)

// pageCatalog reads the pages' message catalog (api/web/i18n.js).
func pageCatalog(t *testing.T) map[string]map[string]string {
	t.Helper()
	src, err := os.ReadFile("../../api/web/i18n.js")
	require.NoError(t, err)
	s := string(src)
	i, j := strings.Index(s, "/* catalog */"), strings.Index(s, "/* end of catalog */")
	require.True(t, i >= 0 && j > i)
	var m map[string]map[string]string
	require.NoError(t, json.Unmarshal([]byte(s[i+len("/* catalog */"):j]), &m))
	return m
}

// textChecker fails the test when the visible text of a page shows a
// catalog key, a raw machine code, or (in zh-CN) a piece of an English
// sentence of the catalog.
type textChecker struct {
	t       *testing.T
	keys    []string
	english []string
}

var (
	rawKind     = regexp.MustCompile(`\b[a-z]+\.[a-z_]+\b`)  // access.denied, pd.offline
	rawReason   = regexp.MustCompile(`\b[a-z]+(_[a-z]+)+\b`) // unknown_card
	placeholder = regexp.MustCompile(`\{\w+\}`)
)

func newTextChecker(t *testing.T) *textChecker {
	c := &textChecker{t: t}
	for k, v := range pageCatalog(t) {
		c.keys = append(c.keys, k)
		if strings.HasPrefix(k, "lang.name.") { // the switch shows both languages' names
			continue
		}
		for _, f := range placeholder.Split(v["en"], -1) {
			f = strings.TrimSpace(strings.Trim(f, " :—()"))
			// A single lowercase word ("admin", "open") may be a name; a
			// capitalised word or several words are English text.
			if len(f) < 4 || (!strings.Contains(f, " ") && strings.ToLower(f) == f) {
				continue
			}
			c.english = append(c.english, f)
		}
	}
	return c
}

// check reads the page's visible text (body and title) and checks it.
func (c *textChecker) check(ctx context.Context, where string, zh bool) string {
	c.t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title + "\n" + document.body.innerText`))
	require.NoError(c.t, err)
	for _, k := range c.keys {
		assert.NotContains(c.t, text, k, "%s: an untranslated catalog key", where)
	}
	assert.Empty(c.t, rawKind.FindAllString(text, -1), "%s: a raw event kind in %q", where, text)
	assert.Empty(c.t, rawReason.FindAllString(text, -1), "%s: a raw code in %q", where, text)
	if zh {
		for _, e := range c.english {
			assert.NotContains(c.t, text, e, "%s: English from the catalog in the zh-CN page", where)
		}
		assert.Regexp(c.t, `\p{Han}`, text, "%s: Chinese", where)
	}
	return text
}

// switchLang chooses lang in the page's language switch.
func switchLang(lang string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](fmt.Sprintf(
			`(() => { const s = document.getElementById("lang"); s.value = %q; s.dispatchEvent(new Event("change")); return true; })()`, lang))(ctx, t)
		return err
	})
}

// The daily workflows in a browser that prefers Chinese: the console and
// the phone page are in zh-CN, with the doors' and terminals' display names,
// times 24-hour in the controller's zone, and no key, code or English
// sentence visible; switching to English works and is remembered.
func TestBrowserChinese(t *testing.T) {
	photo := filepath.Join(cachePath(t, "photos"), "sample2.jpg") // one face
	img, err := os.ReadFile(photo)
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

	ctx := browser(t, "zh-CN")
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(g.url+"/console.html")))
	langs, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.languages.join(",") + " " + document.documentElement.lang`))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(langs, "zh"), "the browser prefers Chinese: %s", langs)
	assert.True(t, strings.HasSuffix(langs, " zh-CN"), "the page is zh-CN: %s", langs)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("login-form"))))
	text := check.check(ctx, "sign-in", true)
	assert.Contains(t, text, "登录")

	// A wrong password: the error is a Chinese sentence.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("name"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "wrong password"),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(`//div[@id="login-msg"][contains(., "账号或密码不对")]`),
	))
	check.check(ctx, "bad sign-in", true)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`(document.getElementById("password").value = "") === ""`)(ctx, t)
			return err
		}),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Click(chromedp.ID("login-button")),
		chromedp.WaitVisible(chromedp.ID("console-view")),
		chromedp.WaitVisible(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//ul[@id="events"]/li[@data-kind="auth.login"]`),
	))
	text = check.check(ctx, "doors", true)
	assert.Contains(t, text, "东门", "the door's display name")
	assert.Contains(t, text, "admin（管理员）")
	assert.Contains(t, text, "终端东门读卡器已上线", "the terminal's display name in the events")

	// An event kind or an error code the catalog does not know: a generic
	// Chinese sentence and the code in small print.
	fallback, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const u = [], li = document.createElement("li");
		putText(li, codeText("ev.", "door.teleported", "ev.unknown", u), u);
		const v = [], p = document.createElement("p");
		putText(p, errText(new ApiError(418, "teapot", null), v), v);
		return li.textContent + "|" + li.querySelector("small.code").textContent + "|" + p.textContent;
	})()`))
	require.NoError(t, err)
	assert.Equal(t, "其他事件 door.teleported|door.teleported|操作失败（418） teapot", fallback)

	// Open the door from the console: only a confirmed release is "opened".
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//div[@id="door-msg"][contains(., "东门")]`),
	))
	doorMsg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("door-msg")))
	require.NoError(t, err)
	assert.Equal(t, "东门已打开", doorMsg)
	waitOut(t, term.PD, osdp.OutTempOnThenOff)

	// A resident's card and an unknown card: live events as sentences, the
	// time 24-hour in the controller's zone.
	term.PD.PresentWiegand26(1, 1234)
	sel := chromedp.CSS(`#events li.granted[data-identity="li-wei"]`)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(sel)))
	line, err := chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err)
	granted := g.waitEvent("card grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Identity == "li-wei" })
	assert.Equal(t, granted.Time.In(shanghai).Format("15:04:05")+" 东门：Li Wei通行", line)
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
	term.PD.PresentWiegand26(1, 4321)
	sel = chromedp.CSS(`#events li.denied`)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(sel)))
	line, err = chromedp.Run(ctx, chromedp.Text(sel))
	require.NoError(t, err)
	assert.Regexp(t, `^\d{2}:\d{2}:\d{2} 东门：未知人员被拒绝，卡未登记$`, line)
	check.check(ctx, "live events", true)

	// Register a visitor with a photo.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("v-name"), "张三"),
		chromedp.SendKeys(chromedp.ID("v-host"), "li-wei"),
		chromedp.SetUploadFiles(chromedp.ID("v-photo"), []string{photo}),
		chromedp.Click(chromedp.ID("v-consent")), // the visitor agreed to the text shown
		chromedp.Click(chromedp.ID("v-submit")),
		chromedp.WaitVisible(`//div[@id="visitor-msg"][contains(., "已登记访客")]`),
		chromedp.WaitVisible(chromedp.ID("pass-qr")),
	))
	vid, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("visitor-msg").dataset.id`))
	require.NoError(t, err)
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("visitor-msg")))
	require.NoError(t, err)
	assert.Equal(t, "已登记访客张三（编号 "+vid+"）", msg)
	passText, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("pass-code")))
	require.NoError(t, err)
	assert.Regexp(t, `^通行码：\d{8}，输入后按 #$`, passText)
	require.NoError(t, term.Show(context.Background(), img))
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#events li.granted[data-identity="%s"]`, vid)))))
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
	check.check(ctx, "visitor", true)

	// Pair Li Wei's phone; the phone page is in Chinese too.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("pair-resident"), "li-wei"),
		chromedp.Click(chromedp.ID("pair-button")),
		chromedp.WaitVisible(`//div[@id="pair-msg"][contains(., "配对码")]`),
	))
	code, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("pair-msg").dataset.code`))
	require.NoError(t, err)
	require.NotEmpty(t, code)
	check.check(ctx, "pairing", true)

	phone, cancel := chromedp.NewContext(ctx)
	defer cancel()
	require.NoError(t, chromedp.Do(phone,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(g.url+"/phone.html"),
		chromedp.WaitVisible(chromedp.ID("pair")),
	))
	check.check(phone, "phone pairing", true)
	require.NoError(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.ID("code"), code),
		chromedp.Click(chromedp.ID("pair")),
		chromedp.WaitVisible(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
	))
	button, err := chromedp.Run(phone, chromedp.Text(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)))
	require.NoError(t, err)
	assert.Equal(t, "打开东门", button, "the door's display name")
	require.NoError(t, chromedp.Do(phone,
		chromedp.Click(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//div[@id="open-msg"][contains(., "东门")]`),
	))
	opened, err := chromedp.Run(phone, chromedp.Text(chromedp.ID("open-msg")))
	require.NoError(t, err)
	assert.Equal(t, "东门：已打开", opened, "only a confirmed release is shown as opened")
	waitOut(t, term.PD, osdp.OutTempOnThenOff)
	g.waitEvent("phone grant", func(e controller.Event) bool { return e.Kind == controller.KindGranted && e.Factor == "phone" })
	require.NoError(t, chromedp.Do(phone,
		chromedp.SendKeys(chromedp.ID("guest-name"), "王五"),
		chromedp.Click(chromedp.ID("invite")),
		chromedp.WaitVisible(chromedp.ID("guest-qr")),
	))
	invited, err := chromedp.Run(phone, chromedp.Text(chromedp.ID("invite-msg")))
	require.NoError(t, err)
	assert.Regexp(t, `^请把下面的访客码发给王五：有效期至\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}$`, invited)
	check.check(phone, "phone doors", true)

	// A lock that refuses and a lock that is offline: the pages say the
	// door did not open, in Chinese.
	term.PD.SetMode(osdppd.NAKAll)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//div[@id="door-msg"][contains(., "门没有打开")]`),
		chromedp.WaitVisible(`//ul[@id="events"]/li[@data-kind="door.lock_failed"]`),
	))
	doorMsg, err = chromedp.Run(ctx, chromedp.Text(chromedp.ID("door-msg")))
	require.NoError(t, err)
	assert.Equal(t, "东门：门锁终端拒绝了命令，门没有打开", doorMsg)
	text = check.check(ctx, "lock refused", true)
	assert.Contains(t, text, "东门没有打开：门锁终端拒绝了命令，门没有打开")
	term.PD.SetMode(osdppd.Silent)
	g.waitEvent("lock offline", func(e controller.Event) bool { return e.Kind == "door.lock_offline" })
	require.NoError(t, chromedp.Do(phone,
		chromedp.Click(chromedp.CSS(`#door-buttons button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//div[@id="open-msg"][contains(., "门没有打开")]`),
	))
	opened, err = chromedp.Run(phone, chromedp.Text(chromedp.ID("open-msg")))
	require.NoError(t, err)
	assert.Equal(t, "东门：门锁终端离线，门没有打开", opened)
	check.check(phone, "phone, lock offline", true)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(`//ul[@id="events"]/li[@data-kind="door.lock_offline"]`),
		chromedp.WaitVisible(`//div[@id="doors"]//span[.="门锁离线"]`),
	))
	text = check.check(ctx, "console, lock offline", true)
	assert.Contains(t, text, "终端东门读卡器离线")

	// Switch the console to English: the page, the doors and the events
	// are redrawn; the choice survives a reload.
	require.NoError(t, chromedp.Do(ctx, switchLang("en"),
		chromedp.WaitVisible(`//h2[.="Live events"]`),
	))
	text = check.check(ctx, "console in English", false)
	assert.Contains(t, text, "东门: Li Wei let in", "events redrawn in English, display names kept")
	assert.Contains(t, text, "the card is not registered")
	assert.Contains(t, text, "东门 did not open: the lock's terminal refused the command, the door did not open")
	assert.Contains(t, text, "lock offline")
	assert.NotContains(t, text, "实时事件")
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#doors button[data-door="main-gate"]`))))
	text = check.check(ctx, "console reloaded", false)
	assert.Contains(t, text, "Live events", "English remembered")
	assert.Contains(t, text, "admin (admin)")
	l, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
	require.NoError(t, err)
	assert.Equal(t, "en", l)
	// And back to Chinese.
	require.NoError(t, chromedp.Do(ctx, switchLang("zh-CN"), chromedp.WaitVisible(`//h2[.="实时事件"]`)))
	check.check(ctx, "console back in zh-CN", true)

	// The start page too.
	require.NoError(t, chromedp.Do(phone, chromedp.Navigate(g.url+"/index.html"), chromedp.WaitVisible(`//button[.="门卫值班台"]`)))
	text = check.check(phone, "index", true)
	assert.Contains(t, text, "住户手机页面")
}
