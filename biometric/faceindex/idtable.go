package faceindex

import "hash/maphash"

// maxSlots bounds the slot numbers an idTable entry can hold (24 bits).
const maxSlots = 1<<24 - 2

// idTable maps descriptor ids to slots with open addressing and linear
// probing, in 4 bytes per entry: 8 bits of the id's hash (to skip most key
// comparisons) and the slot plus one (0 marks an empty entry). The keys
// themselves live in the index's id arena; key returns the id of a slot.
// A Go map[string]uint32 would cost about 40 bytes per id plus the string.
type idTable struct {
	e    []uint32
	n    int
	seed maphash.Seed
	key  func(slot uint32) []byte
}

func newIDTable(key func(uint32) []byte) idTable {
	return idTable{seed: maphash.MakeSeed(), key: key}
}

func (t *idTable) hash(id string) uint64 { return maphash.String(t.seed, id) }

func tagOf(h uint64) uint32 { return uint32(h>>56) << 24 }

// find returns the position of id, or -1.
func (t *idTable) find(id string, h uint64) int {
	if len(t.e) == 0 {
		return -1
	}
	mask := len(t.e) - 1
	tag := tagOf(h)
	for i := int(h) & mask; ; i = (i + 1) & mask {
		v := t.e[i]
		if v == 0 {
			return -1
		}
		if v&0xff000000 == tag && string(t.key(v&0xffffff-1)) == id {
			return i
		}
	}
}

func (t *idTable) lookup(id string) (uint32, bool) {
	i := t.find(id, t.hash(id))
	if i < 0 {
		return 0, false
	}
	return t.e[i]&0xffffff - 1, true
}

// put maps id to slot, replacing any previous slot.
func (t *idTable) put(id string, slot uint32) {
	h := t.hash(id)
	if i := t.find(id, h); i >= 0 {
		t.e[i] = tagOf(h) | (slot + 1)
		return
	}
	t.insertNew(h, slot)
}

// insertNew adds an entry for a slot whose id (of hash h) is absent.
func (t *idTable) insertNew(h uint64, slot uint32) {
	if (t.n+1)*8 > len(t.e)*7 {
		t.grow()
	}
	mask := len(t.e) - 1
	i := int(h) & mask
	for t.e[i] != 0 {
		i = (i + 1) & mask
	}
	t.e[i] = tagOf(h) | (slot + 1)
	t.n++
}

func (t *idTable) grow() { t.resize(max(16, 2*len(t.e))) }

// reserve makes room for n entries in all, so that adding up to n grows
// the table no more (a snapshot's ids go in without rehashing).
func (t *idTable) reserve(n int) {
	size := max(16, len(t.e))
	for (n+1)*8 > size*7 {
		size *= 2
	}
	if size > len(t.e) {
		t.resize(size)
	}
}

// resize rehashes every entry into a table of size entries (a power of two).
func (t *idTable) resize(size int) {
	old := t.e
	t.e = make([]uint32, size)
	t.n = 0
	for _, v := range old {
		if v != 0 {
			t.insertNew(maphash.Bytes(t.seed, t.key(v&0xffffff-1)), v&0xffffff-1)
		}
	}
}

// remove deletes id, shifting later entries of the probe run back so that
// no tombstones are needed.
func (t *idTable) remove(id string) bool {
	i := t.find(id, t.hash(id))
	if i < 0 {
		return false
	}
	mask := len(t.e) - 1
	for j := (i + 1) & mask; t.e[j] != 0; j = (j + 1) & mask {
		v := t.e[j]
		home := int(maphash.Bytes(t.seed, t.key(v&0xffffff-1))) & mask
		// Move v into the hole at i unless its home lies cyclically in (i, j].
		if (j-home)&mask >= (j-i)&mask {
			t.e[i] = v
			i = j
		}
	}
	t.e[i] = 0
	t.n--
	return true
}
