//go:build !nodlib

package main

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/controller"
	"menwei/devices/osdp"
	"menwei/firmware-mocks/osdppd"
)

// The alarm panel and the doors in zh-CN: a tamper switch and a forced
// door raise alarms (banner, beep) until acknowledged with a note, which
// the event log records with the account; an open alarm survives a reload
// and a restart of menweid; lockdown asks first (cancel changes nothing,
// confirm sets the mode in the store); an offline lock is red and its
// open says the door did not open.
func TestBrowserAlarms(t *testing.T) {
	pd, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	setup := gateSetup{pd: pd, seed: true, pdYAML: "        display_name: 东门读卡器", main: "    display_name: 东门", extra: "timezone: Asia/Shanghai"}
	g := startGateWith(t, setup)
	g.waitOnline(false)
	waitOut(t, pd, osdp.OutPermOffAbort)
	check := newTextChecker(t)

	ctx := browser(t, "zh-CN")
	signIn(t, ctx, g.url)
	assert.True(t, evalIn[bool](t, ctx, `document.getElementById("alarm-panel").classList.contains("hidden")`), "no alarm, no banner")
	assert.Equal(t, "normal", evalIn[string](t, ctx, `document.querySelector('#doors .door[data-door="main-gate"]').dataset.state`))

	// The terminal's tamper switch opens; the door is forced.
	pd.SetTamper(true)
	tamper := g.waitEvent("tamper", func(e controller.Event) bool { return e.Kind == controller.KindPDTamper })
	require.NoError(t, pd.SetInput(0, true))
	forced := g.waitEvent("forced", func(e controller.Event) bool { return e.Kind == controller.KindForcedOpen })
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.ID("alarm-panel")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"]`, tamper.Seq))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"]`, forced.Seq))),
		chromedp.WaitVisible(`//div[@data-door="main-gate"]//span[@class="badge"][contains(., "被强行打开")]`),
	))
	text := check.check(ctx, "alarms", true)
	assert.Contains(t, text, "未处理的报警（2条）", "one alarm per incident, not the watcher's copies too")
	assert.Contains(t, text, "终端东门读卡器被拆动（防拆报警）")
	assert.Contains(t, text, "东门被强行打开（报警）")
	assert.Equal(t, "forced", evalIn[string](t, ctx, `document.querySelector('#doors .door[data-door="main-gate"]').dataset.state`))
	require.Eventually(t, func() bool { return evalIn[int](t, ctx, `alarmBeeps`) >= 2 }, 10*time.Second, 100*time.Millisecond, "it beeps while alarms are open")

	// The door closes again: the forced alarm says so and stays open.
	require.NoError(t, pd.SetInput(0, false))
	g.waitEvent("closed", func(e controller.Event) bool { return e.Kind == controller.KindDoorClosed && e.Seq > forced.Seq })
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"] .cleared`, forced.Seq)))))
	assert.Regexp(t, `已于\d{2}:\d{2}:\d{2}自行恢复，仍需确认`, check.check(ctx, "alarm cleared", true))

	// Acknowledge the tamper alarm: first without a note (refused on the
	// page, nothing recorded), then with one.
	ackSel := chromedp.CSS(fmt.Sprintf(`#alarm-list button[data-seq="%d"]`, tamper.Seq))
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(ackSel), chromedp.WaitVisible(`//div[@id="alarm-msg"][contains(., "请先填写处理说明")]`)))
	isAck := func(e controller.Event) bool { return e.Kind == controller.KindAlarmAcknowledged }
	for _, e := range g.events() {
		assert.False(t, isAck(e), "nothing recorded without a note")
	}
	const note = "已到现场查看，外壳已装好"
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID(fmt.Sprintf("alarm-note-%d", tamper.Seq)), note),
		chromedp.Click(ackSel),
		chromedp.WaitVisible(`//div[@id="alarm-msg"][contains(., "已确认报警")]`),
		chromedp.WaitNotPresent(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"]`, tamper.Seq))),
	))
	ack := g.waitEvent("acknowledgement", isAck)
	assert.Equal(t, tamper.Seq, ack.Ref)
	assert.Equal(t, "admin", ack.Account)
	assert.Equal(t, note, ack.Detail)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#events li[data-kind="%s"]`, controller.KindAlarmAcknowledged)))))
	text = check.check(ctx, "acknowledged", true)
	assert.Contains(t, text, fmt.Sprintf("admin确认了第%d号报警：%s", tamper.Seq, note))
	assert.Contains(t, text, "未处理的报警（1条）")

	// A reload: the forced alarm is still there, the tamper one is not.
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"]`, forced.Seq)))))
	assert.Equal(t, 1, evalIn[int](t, ctx, `document.querySelectorAll("#alarm-list li").length`))

	// A restart of menweid on the same store: still open. (The next
	// daemon listens on another port, which the page's sign-in is not
	// kept for: sign out first.)
	evalIn[bool](t, ctx, `api.call("POST", "/api/v1/logout").then(() => true)`, chromedp.EvalAwaitPromise)
	g.shutdown()
	pd2, err := osdppd.New(osdppd.Config{Addr: 101})
	require.NoError(t, err)
	setup.pd, setup.seed, setup.dir = pd2, false, g.dir
	g = startGateWith(t, setup)
	g.waitOnline(false)
	signIn(t, ctx, g.url)
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#alarm-list li[data-seq="%d"]`, forced.Seq)))))
	assert.Equal(t, 1, evalIn[int](t, ctx, `document.querySelectorAll("#alarm-list li").length`))
	check.check(ctx, "alarms after a restart", true)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID(fmt.Sprintf("alarm-note-%d", forced.Seq)), "快递员误开，已关好"),
		chromedp.KeyEvent("\r"),
		chromedp.WaitNotVisible(chromedp.ID("alarm-panel")),
	))
	ack = g.waitEvent("acknowledgement after the restart", func(e controller.Event) bool { return isAck(e) && e.Ref == forced.Seq })
	assert.Equal(t, "快递员误开，已关好", ack.Detail)

	// Lockdown asks first: cancel changes nothing.
	modes := func() int {
		n := 0
		for _, e := range g.events() {
			if e.Kind == controller.KindDoorMode {
				n++
			}
		}
		return n
	}
	before := modes()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("lockdown")),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
	))
	text = check.check(ctx, "lockdown dialog", true)
	assert.Contains(t, text, "确认封锁所有门？")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("confirm-cancel")), chromedp.WaitNotVisible(chromedp.ID("confirm-dialog"))))
	time.Sleep(300 * time.Millisecond) // a wrongly sent request would have arrived
	assert.Equal(t, "normal", g.doors()[0].Mode, "cancel changes nothing")
	assert.Equal(t, before, modes())

	// An offline lock: red, and its open says the door did not open.
	pd2.SetMode(osdppd.Silent)
	g.waitEvent("lock offline", func(e controller.Event) bool { return e.Kind == "door.lock_offline" })
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(`//div[@data-door="main-gate"][@data-state="lock_offline"]`)))
	assert.Equal(t, "rgb(198, 40, 40)", evalIn[string](t, ctx, `getComputedStyle(document.querySelector('#doors .door[data-door="main-gate"] .badge')).backgroundColor`), "red")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#doors button[data-door="main-gate"]`)),
		chromedp.WaitVisible(`//div[@id="door-msg"][contains(., "门没有打开")]`),
	))
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("door-msg")))
	require.NoError(t, err)
	assert.Equal(t, "东门：门锁终端离线，门没有打开", msg)
	// The terminal going offline is an alarm too.
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#alarm-list li[data-kind="pd.offline"]`))))
	text = check.check(ctx, "lock offline", true)
	assert.Contains(t, text, "门锁离线，无法开门")

	// Confirmed, the lockdown is set and kept in the store.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("lockdown")),
		chromedp.WaitVisible(chromedp.ID("confirm-dialog")),
		chromedp.Click(chromedp.ID("confirm-yes")),
		chromedp.WaitVisible(`//div[@id="door-msg"][contains(., "所有门已封锁")]`),
	))
	assert.Equal(t, "lockdown", g.doors()[0].Mode)
	check.check(ctx, "locked down", true)
	g.shutdown()
	st, err := openStore(filepath.Join(g.dir, "store"))
	require.NoError(t, err)
	defer st.Close()
	mode, err := st.DoorMode("main-gate")
	require.NoError(t, err)
	assert.Equal(t, "lockdown", mode)
}
