package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestReadIndexTable(t *testing.T) {
	m := newModule(t, fpmodule.Config{Slots: 1000})
	h := newHost(t, m)
	h.capture(7, fpm.CharBuffer1)
	pages := []uint16{0, 5, 255, 256, 299, 999}
	for _, p := range pages {
		h.ok(fpm.Store{Buffer: fpm.CharBuffer1, Page: p})
	}
	var used []int
	for n := range 4 {
		it := h.reply(fpm.ReadIndexTable{Page: byte(n)}).(fpm.IndexTable)
		used = append(used, it.Used(n)...)
	}
	assert.Equal(t, []int{0, 5, 255, 256, 299, 999}, used)
	assert.Equal(t, fpm.CodeBadPage, h.code(fpm.ReadIndexTable{Page: 4}))
}

func TestReadIndexTableGolden(t *testing.T) {
	m := newModule(t, fpmodule.Config{})
	h := newHost(t, m)
	h.enrol(7, 5)
	ps := h.packets(fpm.ReadIndexTable{Page: 0})
	assert.Equal(t, append([]byte{0x00, 0x20}, make([]byte, 31)...), ps[0].Data)
	assert.Equal(t, fpm.IndexTable{}, h.reply(fpm.ReadIndexTable{Page: 3}), "beyond 300 slots: nothing")
}
