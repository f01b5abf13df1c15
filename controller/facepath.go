package controller

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"slices"
	"sync"
	"time"

	"menwei/biometric/face"
	"menwei/biometric/faceindex"
	"menwei/controller/config"
	"menwei/controller/policy"
	"menwei/controller/store"
	"menwei/devices/faceterm"
	"menwei/devices/osdp"
)

// FaceIndex is the 1:N search over enrolled descriptors (biometric/faceindex).
// A face id is unique within its identity only (the store keeps a face under
// face/<identity>/<id>): two visitors may both have a face "visit", and
// enrolling one must not replace the other.
type FaceIndex interface {
	Add(identity, id string, d [128]float32) error
	RemoveIdentity(identity string) int
	Search(q [128]float32) FaceMatch
}

// FaceMatch is a search result; Identity is "" when the face is rejected,
// and Reason says why ("too_far", "ambiguous", "no_enrolment"). Nearest is
// the identity of the nearest descriptor whether it matched or not, and
// Within says its distance is under the match threshold (a match, or an
// ambiguous one: the same face as someone enrolled).
type FaceMatch struct {
	Identity string
	Nearest  string
	Within   bool
	Distance float32
	Reason   string
}

// FaceEmbedder turns photos into descriptors (biometric/face).
type FaceEmbedder interface {
	One(ctx context.Context, img []byte) (face.Face, error)
}

// Reasons for face decisions.
const (
	ReasonUnknownFace  = "unknown_face"
	ReasonLiveness     = "liveness_too_low"
	ReasonNoFace       = "no_face_in_capture"
	ReasonManyFaces    = "several_faces"
	ReasonBadImage     = "unreadable_image"
	ReasonFaceBusy     = "face_engine_busy"
	ReasonFaceDisabled = "face_matching_unavailable"
)

// loadFaces fills the index: from its snapshot file when that is the
// index of the store's faces (facesnap.go), else from the store, and then
// the snapshot is written again in the background. from says which.
func (c *Controller) loadFaces() (n int, from string, err error) {
	if c.snaps != nil {
		err := c.snaps.read()
		if err == nil {
			return c.snaps.index.Len(), "snapshot", nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			c.log.Info("face index snapshot not used: rebuilding the index from the store", "reason", err)
		}
		c.snaps.rebuilt() // write one once the index is built
	}
	if fi, ok := c.faces.(faceIndex); ok {
		n, err := fi.load(c.store)
		return n, "store", err
	}
	var addErr error
	err = c.store.Faces(func(f store.FaceRecord) bool {
		if addErr = c.faces.Add(f.Identity, f.ID, f.Vector); addErr != nil {
			return false
		}
		n++
		return true
	})
	if err == nil {
		err = addErr
	}
	return n, "store", err
}

// EnrollFace computes the descriptor of the only face in a photo (JPEG or
// PNG) and enrols it for the identity: stored first, then indexed.
func (c *Controller) EnrollFace(ctx context.Context, identity, id string, photo []byte) error {
	d, err := c.FaceOf(ctx, photo)
	if err != nil {
		return err
	}
	return c.EnrollDescriptor(identity, id, d)
}

// FaceOf checks a photo for enrolment and returns the descriptor of its
// only face; it changes nothing, so a caller can refuse a bad photo before
// creating anything.
func (c *Controller) FaceOf(ctx context.Context, photo []byte) ([128]float32, error) {
	if c.embed == nil {
		return [128]float32{}, fmt.Errorf("controller: enrol face: %w", face.ErrUnavailable)
	}
	if c.faces == nil {
		return [128]float32{}, errors.New("controller: enrol face: no face index configured")
	}
	f, err := c.embed.One(ctx, photo)
	if err != nil {
		return [128]float32{}, fmt.Errorf("controller: enrol face: %w", err)
	}
	return f.Descriptor, nil
}

// EnrollDescriptor enrols a descriptor computed elsewhere (a terminal).
// It is checked as the index would check it, then stored; the index
// follows the store (followChange).
func (c *Controller) EnrollDescriptor(identity, id string, d [128]float32) error {
	if c.faces == nil {
		return errors.New("controller: enrol face: no face index configured")
	}
	if err := faceindex.Check(identity, indexKey(identity, id), (*faceindex.Descriptor)(&d)); err != nil {
		return fmt.Errorf("controller: enrol face: %w", err)
	}
	return c.store.PutFace(store.FaceRecord{Identity: identity, ID: id, Vector: d})
}

// SameFace says whether a descriptor is the face of someone already
// enrolled: the index's nearest descriptor is within the match threshold
// (a match, or an ambiguous one). It changes nothing. Enrolling the same
// face for a second identity makes both ambiguous at the terminals (the
// open-set margin), so the API warns before a guard relies on it.
func (c *Controller) SameFace(d [128]float32) (identity string, ok bool) {
	if c.faces == nil {
		return "", false
	}
	m := c.faces.Search(d)
	if !m.Within || m.Nearest == "" {
		return "", false
	}
	return m.Nearest, true
}

// RemoveFaces forgets every face of an identity (the index follows).
func (c *Controller) RemoveFaces(identity string) error {
	_, err := c.store.DeleteFaces(identity)
	return err
}

// followChange keeps the face index and the fingerprint modules in step
// with the store: every face written or deleted, by whichever path (the
// API, a terminal's enrolment, the estate's office's directory), reaches
// the index right after it commits, on the store's write path, and a
// template written or deleted marks every module to reconcile before its
// next poll. It is the controller's subscriber to the store's change feed
// (store.SubscribeChanges), so it only does quick in-memory work and hands
// a schedule reload to the supervisor.
func (c *Controller) followChange(ch store.Change) {
	switch ch.Kind {
	case store.FacePut:
		if c.faces == nil || ch.Face == nil {
			return
		}
		if err := c.faces.Add(ch.Face.Identity, ch.Face.ID, ch.Face.Vector); err != nil {
			// Only a full index gets here (EnrollDescriptor checks the rest):
			// the face is stored but cannot match until there is room.
			c.metrics.faceIndexErrors.Inc()
			c.log.Error("face stored but not indexed", "identity", ch.Face.Identity, "face", ch.Face.ID, "err", err)
		}
		if c.snaps != nil {
			c.snaps.changed()
		}
	case store.FacesDeleted, store.IdentityDeleted:
		if c.faces != nil && c.faces.RemoveIdentity(ch.ID) > 0 && c.snaps != nil {
			c.snaps.forget() // no file keeps a removed face
		}
		if ch.Kind == store.IdentityDeleted {
			c.resyncFingers()
		}
	case store.TemplatePut, store.TemplatesDeleted:
		c.resyncFingers()
	case store.SchedulePut, store.HolidayPut, store.HolidayDeleted:
		select {
		case c.reload <- struct{}{}:
		default: // a reload is already due
		}
	}
}

// resyncFingers asks the fingerprint modules to reconcile with the store
// before their next poll (a template written or removed by any path: the
// estate's office's, above all, which no enrolment here pushes).
func (c *Controller) resyncFingers() {
	if m := c.resync.Load(); m != nil {
		m.Resync()
	}
}

// mfgReport handles a vendor reply: face captures from face terminals.
func (c *Controller) mfgReport(ctx context.Context, k pdKey, m osdp.MfgRep) {
	if m.Vendor != faceterm.VendorCode {
		c.log.Debug("vendor reply ignored", "pd", c.pdName[k])
		return
	}
	msg, err := faceterm.Decode(m.Data)
	if err != nil {
		c.log.Warn("malformed face message", "pd", c.pdName[k], "err", err)
		return
	}
	switch msg := msg.(type) {
	case faceterm.Descriptor:
		c.faceSeen(ctx, k, msg.Capture, msg.Vector, nil, image.Rectangle{})
	case faceterm.Fragment:
		// On this bus's event goroutine, the only user of its reassembler.
		photo, capt, err := c.buses[k.bus].reasm.Add(c.now(), fmt.Sprint(k), msg)
		if errors.Is(err, faceterm.ErrDropped) {
			return // already reported
		}
		if err != nil {
			c.log.Warn("face capture dropped", "pd", c.pdName[k], "err", err)
			c.record(ctx, Event{Kind: "face.capture_dropped", PD: c.pdName[k], Detail: err.Error()})
			return
		}
		if photo == nil {
			return
		}
		// dlib takes a fraction of a second: not on the bus's goroutine.
		c.work.Add(1)
		go func() {
			defer c.work.Done()
			c.faceFromPhoto(ctx, k, capt, photo)
		}()
	}
}

func (c *Controller) faceFromPhoto(ctx context.Context, k pdKey, capt faceterm.Capture, photo []byte) {
	d, r := c.readerAt(pdSource(k), int(capt.Reader))
	if d == nil {
		return
	}
	fail := func(reason string, err error) {
		d.mu.Lock()
		defer d.mu.Unlock()
		dec := Decision{Decision: policy.Decision{Reason: reason}, Factors: "face", photo: photo}
		c.conclude(ctx, d, r, dec)
		c.log.Info("face capture not usable", "door", d.name(), "reason", reason, "err", err)
	}
	if c.embed == nil {
		fail(ReasonFaceDisabled, face.ErrUnavailable)
		return
	}
	f, err := c.embed.One(ctx, photo)
	switch {
	case errors.Is(err, face.ErrBusy):
		fail(ReasonFaceBusy, err)
	case errors.Is(err, face.ErrManyFaces):
		fail(ReasonManyFaces, err)
	case errors.Is(err, face.ErrNoFace):
		fail(ReasonNoFace, err)
	case err != nil:
		fail(ReasonBadImage, err)
	default:
		c.faceSeen(ctx, k, capt, f.Descriptor, photo, f.Box)
	}
}

// faceSeen judges a face at a door's reader.
func (c *Controller) faceSeen(ctx context.Context, k pdKey, capt faceterm.Capture, vec [128]float32, photo []byte, box image.Rectangle) {
	d, r := c.readerAt(pdSource(k), int(capt.Reader))
	if d == nil {
		c.log.Info("face at a reader without a door", "pd", c.pdName[k], "reader", capt.Reader)
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	deny := func(reason, detail string, who store.Identity) {
		c.conclude(ctx, d, r, Decision{Decision: policy.Decision{Reason: reason}, Identity: who, Factors: "face", photo: photo, box: box, detail: detail})
	}
	if c.faces == nil {
		deny(ReasonFaceDisabled, "", store.Identity{})
		return
	}
	if min := d.cfg.Policy.MinLiveness; min > 0 && (capt.Liveness == faceterm.LivenessUnknown || int(capt.Liveness) < min) {
		deny(ReasonLiveness, fmt.Sprintf("liveness %d, door needs %d", capt.Liveness, min), store.Identity{})
		return
	}
	start := time.Now()
	m := c.faces.Search(vec)
	c.metrics.faceSearch.Observe(time.Since(start).Seconds())
	if m.Identity == "" {
		c.conclude(ctx, d, r, Decision{Decision: policy.Decision{Reason: ReasonUnknownFace}, Factors: "face",
			photo: photo, box: box, detail: m.Reason, faceRef: c.unknown.ref(vec, c.now())})
		return
	}
	id, err := c.store.Identity(m.Identity)
	if err != nil {
		deny(ReasonUnknownFace, "enrolled face without an identity", store.Identity{})
		return
	}
	dec := c.decide(d, r, id, policy.Presented{Factor: policy.Face, Identity: id.ID, At: c.now()}, false, store.Card{})
	dec.photo, dec.box = photo, box
	c.conclude(ctx, d, r, dec)
}

// askForFace sends BIOREAD to a reader when a door's rule waits for a face.
func (c *Controller) askForFace(ctx context.Context, r readerRef, missing []policy.Factor) {
	if !slices.Contains(missing, policy.Face) {
		return
	}
	if r.src.kind != fromPD {
		return // only an OSDP reader can be asked for a face
	}
	loop := c.loop(r.src.pd.bus)
	if loop == nil {
		return
	}
	if _, err := loop.Submit(ctx, r.src.pd.addr, osdp.BioRead{Reader: byte(r.reader), Format: faceterm.FormatDescriptor}); err != nil {
		c.log.Debug("face request not sent", "pd", c.pdName[r.src.pd], "err", err)
	}
}

// keepCrop stores a small crop of a denied face for the guards.
func (c *Controller) keepCrop(seq uint64, photo []byte, box image.Rectangle) {
	crop, err := cropFace(photo, box)
	if err != nil {
		c.log.Warn("face crop not made", "seq", seq, "err", err)
		return
	}
	if err := c.store.PutCrop(seq, crop); err != nil {
		c.log.Error("face crop not stored", "seq", seq, "err", err)
	}
}

// NewFaceIndex is the 1:N index of package faceindex with the configured
// open-set thresholds.
func NewFaceIndex(cfg config.Face) (FaceIndex, error) {
	x, err := faceindex.New(faceindex.Config{Threshold: cfg.Threshold, Margin: cfg.Margin})
	if err != nil {
		return nil, err
	}
	return faceIndex{x}, nil
}

type faceIndex struct{ *faceindex.Index }

// indexKey is a face's id in faceindex, whose ids are unique across the
// whole index: the identity and the face id, as in the store's key. An
// identity id has no "/" (idRE), so different pairs never share a key.
func indexKey(identity, id string) string { return identity + "/" + id }

func (f faceIndex) Add(identity, id string, d [128]float32) error {
	return f.Index.Add(identity, indexKey(identity, id), d)
}

func (f faceIndex) Search(q [128]float32) FaceMatch {
	r := f.Index.Search(q)
	within := r.Reason == faceindex.ReasonMatch || r.Reason == faceindex.ReasonAmbiguous
	return FaceMatch{Identity: r.Identity, Nearest: r.Nearest, Within: within, Distance: r.Distance, Reason: r.Reason}
}

// load fills the index in one pass (faster than Add one by one). The
// store is read on a goroutine of its own, a batch at a time, while the
// index takes in the batch before: reading (Badger's blocks decrypted and
// decompressed, the vectors decoded) and indexing overlap on a box's two
// cores.
func (f faceIndex) load(s faceStore) (int, error) {
	const batch = 512
	batches := make(chan []faceindex.Entry, 4)
	stop := make(chan struct{})
	var serr error
	go func() {
		defer close(batches)
		buf := make([]faceindex.Entry, 0, batch)
		send := func() bool {
			select {
			case batches <- buf:
				buf = make([]faceindex.Entry, 0, batch)
				return true
			case <-stop:
				return false
			}
		}
		serr = s.Faces(func(r store.FaceRecord) bool {
			buf = append(buf, faceindex.Entry{Identity: r.Identity, ID: indexKey(r.Identity, r.ID), Descriptor: r.Vector})
			return len(buf) < batch || send()
		})
		if serr == nil && len(buf) > 0 {
			send()
		}
	}()
	n := 0
	err := f.Index.Load(func(yield func(faceindex.Entry) bool) {
		for b := range batches {
			for _, e := range b {
				n++
				if !yield(e) {
					return
				}
			}
		}
	})
	close(stop)
	for range batches { // the reader has stopped once its channel is closed
	}
	if err == nil {
		err = serr
	}
	return n, err
}

// unknownFaces remembers recent unknown faces so that the same stranger
// seen again gets the same ref (and the alert "the same unknown face again
// and again" can count them). Bounded: the oldest are forgotten.
type unknownFaces struct {
	mu     sync.Mutex
	recent []unknownFace
	next   int
}

type unknownFace struct {
	ref string
	vec [128]float32
	at  time.Time
}

const (
	unknownKeep = 256
	unknownSame = 0.5 // dlib distance under which two captures are taken as one person
)

func (u *unknownFaces) ref(vec [128]float32, now time.Time) string {
	u.mu.Lock()
	defer u.mu.Unlock()
	best, bestD := -1, float32(unknownSame)
	for i, f := range u.recent {
		if d := faceindex.Distance(f.vec, vec); d < bestD {
			best, bestD = i, d
		}
	}
	if best >= 0 {
		u.recent[best].at, u.recent[best].vec = now, vec
		return u.recent[best].ref
	}
	u.next++
	f := unknownFace{ref: fmt.Sprintf("uf-%d-%d", now.Unix(), u.next), vec: vec, at: now}
	if len(u.recent) < unknownKeep {
		u.recent = append(u.recent, f)
	} else {
		oldest := 0
		for i := range u.recent {
			if u.recent[i].at.Before(u.recent[oldest].at) {
				oldest = i
			}
		}
		u.recent[oldest] = f
	}
	return f.ref
}
