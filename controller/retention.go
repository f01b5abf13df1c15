package controller

import (
	"sort"
	"time"

	"menwei/controller/policy"
)

// Retention of biometric data, minimum necessary (PIPL art. 19, 47): the
// supervisor runs retain every minute with the controller's clock.
//   - A visitor's face is deleted once their pass ended more than
//     face.visitor_grace ago (default 24 h); the face index follows the
//     store. The visitor's record and events stay (the event log's own
//     retention covers them).
//   - Crops of refused faces are kept at most face.crops.max_age (default
//     7 days) and at most face.crops.max_count.
//
// Every deletion is counted in menwei_retention_deleted_total{what}.

// retain applies the retention rules as of now.
func (c *Controller) retain(now time.Time) {
	c.retainVisitorFaces(now)
	c.retainCrops(now)
}

func (c *Controller) retainVisitorFaces(now time.Time) {
	visitors, err := c.store.Identities(policy.Visitor)
	if err != nil {
		c.log.Error("retention: reading visitors", "err", err)
		return
	}
	for _, v := range visitors {
		if v.Pass == nil || v.Pass.Until.IsZero() || now.Before(v.Pass.Until.Add(c.cfg.Face.VisitorGrace)) {
			continue
		}
		n, err := c.store.DeleteFaces(v.ID)
		if err != nil {
			c.log.Error("retention: deleting a visitor's face", "visitor", v.ID, "err", err)
			continue
		}
		if n > 0 {
			c.metrics.retained.WithLabelValues("visitor_face").Add(float64(n))
			c.log.Info("retention: a visitor's face deleted after the pass ended", "visitor", v.ID, "faces", n, "pass_until", v.Pass.Until)
		}
	}
}

func (c *Controller) retainCrops(now time.Time) {
	r := c.cfg.Face.Crops
	through, err := c.lastSeqAtOrBefore(now.Add(-r.MaxAge))
	if err != nil {
		c.log.Error("retention: finding old events", "err", err)
		return
	}
	n, err := c.store.PruneCrops(r.MaxCount, through)
	if err != nil {
		c.log.Error("retention: pruning face crops", "err", err)
		return
	}
	if n > 0 {
		c.metrics.retained.WithLabelValues("face_crop").Add(float64(n))
		c.log.Info("retention: face crops deleted", "count", n)
	}
}

// lastSeqAtOrBefore is the seq of the newest event recorded at or before
// t (0 if none), found by binary search over seq: events are appended in
// time order (the controller's clock; a clock set back makes the search
// land near the jump, which retention tolerates).
func (c *Controller) lastSeqAtOrBefore(t time.Time) (uint64, error) {
	head, err := c.store.Events(EventQuery{Newest: true, Limit: 1})
	if err != nil || len(head) == 0 {
		return 0, err
	}
	var ferr error
	at := func(seq uint64) (Event, bool) { // the first event with Seq >= seq
		evs, err := c.store.Events(EventQuery{After: seq - 1, Limit: 1})
		if err != nil {
			ferr = err
		}
		if err != nil || len(evs) == 0 {
			return Event{}, false
		}
		return evs[0], true
	}
	last := head[0].Seq
	// The first seq whose event is after t; the answer is the one before.
	i := sort.Search(int(last), func(i int) bool {
		e, ok := at(uint64(i) + 1)
		return !ok || e.Time.After(t)
	})
	if ferr != nil {
		return 0, ferr
	}
	return uint64(i), nil
}
