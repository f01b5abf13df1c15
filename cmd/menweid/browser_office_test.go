//go:build !nodlib

package main

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The office's gates tab in zh-CN, with a real office and gate menweid:
// the gate is listed connected with its door as the gate reported it; an
// emergency unlock from the tab is said to be set only once the gate has
// confirmed it (and the gate's door is in that mode); the history filters
// on the gate; with the gate stopped, the tab shows it not connected and a
// command says it was not carried out — never that it was.
func TestBrowserOfficeGates(t *testing.T) {
	office, g := startOfficeAndGate(t)
	check := newTextChecker(t)
	ctx := browser(t, "zh-CN")
	signIn(t, ctx, office.url)

	card := `#gates .gate-card[data-gate="gate-3a"]`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("gates-tab")),
		chromedp.Click(chromedp.ID("gates-tab")),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-link="up"] li[data-door="main-gate"][data-mode="normal"]`)),
	))
	text := check.check(ctx, "gates", true)
	assert.Contains(t, text, "连接正常")
	assert.Contains(t, text, "门的状态为门岗于")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(card+` button[data-mode="emergency_unlock"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
		chromedp.Click(chromedp.ID("confirm-yes")),
		chromedp.WaitVisible(`//div[@id="gates-msg"][contains(., "门岗gate-3a已确认：所有门已设为紧急开门")]`),
		chromedp.WaitVisible(chromedp.CSS(card+` li[data-door="main-gate"][data-mode="emergency_unlock"]`)),
	))
	assert.Equal(t, "emergency_unlock", g.doors()[0].Mode, "the gate's own API")
	assert.Equal(t, "normal", office.doors()[0].Mode, "not the office's door")
	check.check(ctx, "mode set", true)

	// The history: the gate's mode event, filtered on the gate, labelled.
	require.Eventually(t, func() bool {
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`#tabs button[data-tab="history"]`)),
			setField("hist-gate", "gate-3a"),
			chromedp.Click(chromedp.ID("hist-search")),
		)
		// The gate's mode event, and only the gate's events.
		return err == nil && evalIn[bool](t, ctx, `!!document.querySelector('#hist-list li[data-gate="gate-3a"][data-kind="door.mode_requested"]') &&
			!document.querySelector('#hist-list li:not([data-gate="gate-3a"])')`)
	}, 30*time.Second, 200*time.Millisecond, "the gate's event in the office's history, filtered on the gate")
	check.check(ctx, "history", true)

	// The gate stops: not connected, and a command is not said to be done.
	g.shutdown()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("gates-tab")),
		chromedp.Click(chromedp.CSS(card+` button[data-mode="normal"]`)),
		chromedp.WaitVisible(`//div[@id="gates-msg"][contains(., "门岗gate-3a：")]`),
		chromedp.WaitVisible(chromedp.CSS(card+`[data-link="down"]`)),
	))
	text = check.check(ctx, "gate down", true)
	assert.NotContains(t, text, "已确认：所有门已恢复正常模式")
	assert.Regexp(t, "命令没有发出|不能确认命令是否执行", text)
}
