package fpmodule

// PutFinger puts finger id on the sensor, replacing any finger there. The
// next GenImg captures it.
func (m *Module) PutFinger(id int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.finger, m.present = id, true
}

// RemoveFinger takes the finger off the sensor: GenImg answers 0x02.
func (m *Module) RemoveFinger() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.present = false
}

// Lift takes the finger off the sensor, as RemoveFinger, and returns a
// channel closed once a GenImg has found the sensor empty. A controller
// sees a lift only when it polls the sensor during it: a test that waits
// on the channel before the next PutFinger lifts for as long as a person
// does, not for the few microseconds between two calls.
func (m *Module) Lift() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.present = false
	seen := make(chan struct{})
	m.lifts = append(m.lifts, seen)
	return seen
}

// BadImage spoils the next GenImg of a finger on the sensor or the next
// Img2Tz, whichever comes first: it answers 0x06 (fpm.ErrBadImage). A GenImg
// of an empty sensor is not a capture and spoils nothing.
func (m *Module) BadImage() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.badImage = true
}

// Wipe makes the module a new one of the same configuration, as when it is
// replaced: empty library, empty buffers, no image, password not verified,
// the basic parameters as configured (whatever SetSysPara set). The finger
// on the sensor and the Silent and Garbage switches stay.
func (m *Module) Wipe() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.params = m.cfg.params()
	clear(m.slots)
	m.bufs = [3][]byte{}
	m.image, m.down, m.badImage, m.verified = nil, nil, false, false
}

// Silent makes the module answer nothing, and ignore what it is sent, while
// on: a module powered off or with its TX line cut.
func (m *Module) Silent(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.silent = on
}

// Garbage makes the module send noise before every answer while on.
func (m *Module) Garbage(on bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.garbage = on
}

// Slots reports the used library pages, each mapped to true.
func (m *Module) Slots() map[int]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	used := map[int]bool{}
	for page, s := range m.slots {
		if s != nil {
			used[page] = true
		}
	}
	return used
}
