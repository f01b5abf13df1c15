package main

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/firmware-mocks/osdppd"
)

// The office takes a resident's copy of their data from the residents tab
// (a zip), recorded with the account; the list says who declined a
// biometric and how they enter instead.
func TestBrowserResidentExportAndConsent(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	g := startGateWith(t, gateSetup{pd: pd, seed: true})
	g.waitOnline(false)
	ctx := browser(t, "zh-CN")
	check := newTextChecker(t)
	signIn(t, ctx, g.url)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#tabs button[data-tab="residents"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#res-list tr[data-id="li-wei"]`)),
	))
	text := check.check(ctx, "residents with consent", true)
	assert.Contains(t, text, "人脸：已同意", "Li Wei consented (seed)")
	assert.Contains(t, text, "也可用：门卡", "and has a card")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#res-list tr[data-id="li-wei"] button`)),
		chromedp.WaitVisible(chromedp.ID("res-export")),
	))
	head := evalIn[string](t, ctx, `fetch(document.getElementById("res-export").href, {credentials: "same-origin"}).then(async (r) => {
		const b = new Uint8Array(await r.arrayBuffer());
		return r.status + " " + r.headers.get("content-type") + " " + String.fromCharCode(b[0], b[1]);
	})`, chromedp.EvalAwaitPromise)
	assert.Equal(t, "200 application/zip PK", head, "the link gives the zip")
	ev := g.waitEvent("export recorded", func(e controller.Event) bool { return e.Kind == controller.KindPersonExported })
	assert.Equal(t, "li-wei", ev.Identity)
	assert.Contains(t, ev.Detail, "by admin")

	// Li Wei withdraws his consent to his face: asked first (cancel keeps
	// it), then withdrawn, recorded, and the list says so.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("face-withdraw")),
		chromedp.Click(chromedp.ID("face-withdraw")),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
	))
	assert.Contains(t, check.check(ctx, "withdraw question", true), "撤回人脸同意？")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("confirm-cancel")), chromedp.WaitNotVisible(chromedp.ID("confirm-dialog"))))
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("face-withdraw")),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
		chromedp.Click(chromedp.ID("confirm-yes")),
		chromedp.WaitVisible(`//div[@id="face-msg"][contains(., "已撤回人脸同意")]`),
		chromedp.WaitVisible(`//tr[@data-id="li-wei"]//td[contains(., "人脸：已撤回")]`),
	))
	w := g.waitEvent("withdrawal recorded", func(e controller.Event) bool { return e.Kind == controller.KindConsentWithdrawn })
	assert.Equal(t, "li-wei", w.Identity)
	assert.Contains(t, w.Detail, "by admin")
	withdrawals := 0
	for _, e := range g.events() {
		if e.Kind == controller.KindConsentWithdrawn {
			withdrawals++
		}
	}
	assert.Equal(t, 1, withdrawals, "one withdrawal: the cancel changed nothing")
	check.check(ctx, "withdrawn", true)

	// Then he asks to be erased: everything about him goes and his events
	// name a pseudonym instead.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("res-delete")),
		chromedp.WaitVisible(chromedp.ID("res-erase-yes")),
		chromedp.Click(chromedp.ID("res-erase-yes")),
		chromedp.WaitVisible(`//div[@id="res-list-msg"][contains(., "全部个人信息")]`),
	))
	assert.Contains(t, check.check(ctx, "erased", true), "条通行记录已匿名化")
	er := g.waitEvent("erasure recorded", func(e controller.Event) bool { return e.Kind == controller.KindPersonErased })
	assert.Equal(t, "admin", er.Account)
	for _, e := range g.events() {
		assert.NotEqual(t, "li-wei", e.Identity, "%d %s still names him", e.Seq, e.Kind)
		assert.NotContains(t, e.Name, "Li Wei")
	}
}
