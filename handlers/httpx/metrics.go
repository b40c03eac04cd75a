package httpx

import (
	"database/sql"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the Prometheus series of the HTTP frame and the pool.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the frame's series and the pool gauges on reg.
func NewMetrics(reg prometheus.Registerer, pool func() sql.DBStats) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tuhono_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tuhono_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	if pool != nil {
		gauge := func(name, help string, v func(sql.DBStats) float64) {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
				func() float64 { return v(pool()) }))
		}
		gauge("tuhono_db_pool_open_connections", "Open connections in the pool.", func(s sql.DBStats) float64 { return float64(s.OpenConnections) })
		gauge("tuhono_db_pool_in_use", "Connections in use.", func(s sql.DBStats) float64 { return float64(s.InUse) })
		gauge("tuhono_db_pool_idle", "Idle connections.", func(s sql.DBStats) float64 { return float64(s.Idle) })
		gauge("tuhono_db_pool_max_open", "Pool size limit.", func(s sql.DBStats) float64 { return float64(s.MaxOpenConnections) })
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tuhono_db_pool_wait_total", Help: "Times a request waited for a connection.",
		}, func() float64 { return float64(pool().WaitCount) }))
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tuhono_db_pool_wait_seconds_total", Help: "Time spent waiting for a connection.",
		}, func() float64 { return pool().WaitDuration.Seconds() }))
	}
	return m
}

func (m *Metrics) observe(method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}
