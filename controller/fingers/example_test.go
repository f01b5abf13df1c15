package fingers_test

import (
	"context"
	"io"
	"log/slog"

	"menwei/controller/fingers"
	"menwei/devices/serialport"
)

// Two R307 modules on USB adapters, the controller's store behind them. A
// resident enrols at the north gate; the template goes to both.
func ExampleManager() {
	uart := func(dev string) func() (io.ReadWriteCloser, error) {
		return func() (io.ReadWriteCloser, error) {
			p, err := serialport.Open(serialport.Config{Device: dev, Baud: 57600})
			if err != nil {
				return nil, err
			}
			return p, nil
		}
	}
	var store fingers.TemplateStore = newMemStore() // the controller's, Badger behind it
	m, err := fingers.New(fingers.Config{
		Modules: []fingers.ModuleConfig{
			{Name: "gate-north", Open: uart("/dev/serial/by-id/usb-north"), Model: "r307"},
			{Name: "gate-south", Open: uart("/dev/serial/by-id/usb-south"), Model: "r307"},
		},
		Store:     store,
		OnFinger:  func(module string, slot, score int) { /* look up slot in the store, decide, open */ },
		OnUnknown: func(module string) { /* log a refused finger */ },
		OnPrompt:  func(module string, p fingers.Prompt) { slog.Info("enrolment", "module", module, "say", p) },
	})
	if err != nil {
		slog.Error("fingerprint modules", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- m.Run(ctx) }()
	defer func() {
		cancel()
		<-ran // the modules' goroutines are gone, their ports closed
	}()

	t, err := m.Enroll(ctx, "gate-north", "resident-1042", nil)
	if err != nil {
		slog.Warn("enrolment failed", "err", err) // fingers.ErrFingerTimeout, fpm.ErrMergeFailed...
		return
	}
	slog.Info("enrolled", "slot", t.Slot)
}
