package ratelimit

// Denied is published as ratelimit.denied for a sample of denied requests (for analytics and abuse
// detection). Each event stands for about 1/SampleRate denials, so a consumer scales its counts by it.
type Denied struct {
	Policy string `json:"policy"`
	// Subject is who the request counted against ("user.alice", "ip.203.0.113.7", ...).
	Subject string `json:"subject"`
	// Kind is the caller kind when the request came over HTTP.
	Kind Kind `json:"kind,omitempty"`
	// Route is the HTTP route pattern when the request came over HTTP.
	Route        string  `json:"route,omitempty"`
	Cost         int64   `json:"cost"`
	Limit        int64   `json:"limit"`
	RetryAfterMs int64   `json:"retry_after_ms"`
	SampleRate   float64 `json:"sample_rate"`
}

// EventName implements ports.Event.
func (Denied) EventName() string { return "ratelimit.denied" }

// EventVersion implements ports.Event.
func (Denied) EventVersion() int { return 1 }
