package eventbus

import (
	"errors"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what the bus publishes and handles.
type Metrics struct {
	publishedTotal *prometheus.CounterVec
	handledTotal   *prometheus.CounterVec
	handleSeconds  *prometheus.HistogramVec
	deadTotal      *prometheus.CounterVec
}

// NewMetrics registers the bus metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		publishedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_events_published_total", Help: "Events published, by event and outcome.",
		}, []string{"event", "outcome"}),
		handledTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_events_handled_total", Help: "Handler attempts, by handler and outcome.",
		}, []string{"handler", "outcome"}),
		handleSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "statekit_events_handle_seconds", Help: "Time spent in one handler attempt.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"handler"}),
		deadTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statekit_events_dead_lettered_total", Help: "Events sent to the dead-letter stream, by handler.",
		}, []string{"handler"}),
	}
	reg.MustRegister(m.publishedTotal, m.handledTotal, m.handleSeconds, m.deadTotal)
	return m
}

func outcome(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func (m *Metrics) published(event string, err error) {
	m.publishedTotal.WithLabelValues(event, outcome(err)).Inc()
}

func (m *Metrics) handled(handler string, d time.Duration, err error) {
	m.handledTotal.WithLabelValues(handler, outcome(err)).Inc()
	m.handleSeconds.WithLabelValues(handler).Observe(d.Seconds())
}

// deadLetters wraps the publisher the poison-queue middleware writes to, counting each event it sends to
// the dead-letter stream under the handler that gave up on it. A handler still running when the bus stops
// (its retries outlasting the router's close timeout) may reach it after close: it then gets an error, the
// event stays pending in its group and is delivered again, instead of racing the publisher's close.
type deadLetters struct {
	pub message.Publisher
	m   *Metrics

	mu     sync.RWMutex
	closed bool
}

var errBusClosed = errors.New("event bus closed")

func (d *deadLetters) Publish(topic string, msgs ...*message.Message) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return errBusClosed
	}
	err := d.pub.Publish(topic, msgs...)
	if err == nil {
		for _, msg := range msgs {
			d.m.deadTotal.WithLabelValues(msg.Metadata.Get(middleware.PoisonedHandlerKey)).Inc()
		}
	}
	return err
}

// Close closes the publisher once no Publish is in flight; later calls of Publish fail.
func (d *deadLetters) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.pub.Close()
}
