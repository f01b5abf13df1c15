package controller

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the controller's Prometheus metrics, on a registry of its own.
type metrics struct {
	reg         *prometheus.Registry
	decisions   *prometheus.CounterVec
	pdOnline    *prometheus.GaugeVec
	appendTime  prometheus.Histogram
	faceSearch  prometheus.Histogram
	framesSent  *prometheus.CounterVec
	alertsTotal *prometheus.CounterVec
	repaired    prometheus.Counter
	retained    *prometheus.CounterVec // deletions by the retention rules (retention.go)
	// faceIndexErrors counts faces stored but not indexed (a full index).
	faceIndexErrors prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "menwei_decisions_total",
			Help: "Access decisions by door and result (granted or the denial reason)."}, []string{"door", "result"}),
		pdOnline: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "menwei_pd_online",
			Help: "1 when the terminal is online (and, with a key, on its secure channel)."}, []string{"pd"}),
		appendTime: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "menwei_event_append_seconds",
			Help: "Time to make an event durable (synced), decision events included.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14)}),
		faceSearch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "menwei_face_search_seconds",
			Help: "Time of one 1:N face search.", Buckets: prometheus.ExponentialBuckets(0.00005, 2, 14)}),
		framesSent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "menwei_osdp_commands_total",
			Help: "OSDP commands written, by bus and command (POLL rate = rate of command=POLL)."}, []string{"bus", "command"}),
		alertsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "menwei_alerts_total",
			Help: "Risk alerts raised, by kind."}, []string{"kind"}),
		faceIndexErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "menwei_face_index_errors_total",
			Help: "Faces written to the store that the face index could not take (it is full)."}),
		retained: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "menwei_retention_deleted_total",
			Help: "Biometric data deleted by the retention rules: visitor_face (a pass ended), face_crop (too old or too many)."}, []string{"what"}),
		repaired: prometheus.NewCounter(prometheus.CounterOpts{Name: "menwei_store_crash_repairs_total",
			Help: "Empty value-log or memtable files left by a crash inside Badger's file creation or deletion, removed when the store opened."}),
	}
	m.reg.MustRegister(m.decisions, m.pdOnline, m.appendTime, m.faceSearch, m.framesSent, m.alertsTotal, m.repaired, m.faceIndexErrors, m.retained,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Metrics is the registry to serve at /metrics.
func (c *Controller) Metrics() *prometheus.Registry { return c.metrics.reg }

func (m *metrics) timeAppend(start time.Time) { m.appendTime.Observe(time.Since(start).Seconds()) }
