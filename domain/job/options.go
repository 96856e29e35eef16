package job

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Limits on what a caller may ask for.
const (
	MaxTypeLen      = 128
	MaxQueueLen     = 64
	MaxUniqueKeyLen = 200
	MaxPriority     = 9
	MaxRetriesLimit = 100
	MaxPayloadBytes = 512 << 10
	MaxDelay        = 366 * 24 * time.Hour
	MinTimeout      = 10 * time.Millisecond
	MaxTimeout      = 24 * time.Hour
	MinUniqueTTL    = time.Second
	MaxUniqueTTL    = 30 * 24 * time.Hour
	// DefaultUniqueTTL holds a unique key when the caller names a key but no TTL.
	DefaultUniqueTTL = 24 * time.Hour
	// MaxBatch is the most jobs one batch enqueue takes.
	MaxBatch = 1000
	// MaxErrorBytes and MaxResultBytes bound what a run leaves on the job.
	MaxErrorBytes  = 4 << 10
	MaxResultBytes = 64 << 10
	idBytes        = 12
	idLen          = 16 // base64url of 12 bytes
)

// isName reports whether s is 1 or more letters, digits and `_ . -`, starting with a letter or digit (checked
// by hand: it runs on every enqueue).
func isName(s string) bool {
	if s == "" || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isID reports whether s is idLen base64url characters.
func isID(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// NewJob is what a caller asks for when enqueuing.
type NewJob struct {
	// Type selects the handler; it must be registered.
	Type string
	// Payload is the job's JSON input (empty means none).
	Payload []byte
	// Queue defaults to Defaults.Queue.
	Queue string
	// Priority 0 (default) to 9: within a queue, higher runs first.
	Priority int
	// Delay or RunAt (not both) postpone the first run; RunAt in the past means now.
	Delay time.Duration
	RunAt time.Time
	// MaxRetries is how many times a failed job runs again; nil takes Defaults.MaxRetries.
	MaxRetries *int
	// Timeout bounds one run (the handler's context deadline); 0 takes Defaults.Timeout.
	Timeout time.Duration
	// UniqueKey, when set, refuses a second job with the same key in the same queue while the first is
	// alive (not completed, dead or deleted), for at most UniqueTTL (default DefaultUniqueTTL).
	UniqueKey string
	UniqueTTL time.Duration
}

// Defaults fill what a NewJob leaves out.
type Defaults struct {
	Queue      string
	MaxRetries int
	Timeout    time.Duration
}

// DefaultDefaults is queue "default", 5 retries and a 30-minute timeout.
func DefaultDefaults() Defaults {
	return Defaults{Queue: "default", MaxRetries: 5, Timeout: 30 * time.Minute}
}

// Validate reports every rule the defaults break.
func (d Defaults) Validate() error {
	var errs []error
	if err := ValidateQueue(d.Queue); err != nil {
		errs = append(errs, fmt.Errorf("default queue: %w", err))
	}
	if d.MaxRetries < 0 || d.MaxRetries > MaxRetriesLimit {
		errs = append(errs, fmt.Errorf("default max retries %d: must be 0-%d", d.MaxRetries, MaxRetriesLimit))
	}
	if d.Timeout < MinTimeout || d.Timeout > MaxTimeout {
		errs = append(errs, fmt.Errorf("default timeout %s: must be %s-%s", d.Timeout, MinTimeout, MaxTimeout))
	}
	return errors.Join(errs...)
}

// Spec is a validated job with its defaults applied and its id drawn: what the store writes.
type Spec struct {
	ID         string
	Queue      string
	Type       string
	Payload    []byte
	Priority   int
	MaxRetries int
	Timeout    time.Duration
	// Delay (from the store's clock) or RunAt (absolute) say when the job becomes due; both zero means now.
	Delay     time.Duration
	RunAt     time.Time
	UniqueKey string
	UniqueTTL time.Duration
	// Periodic and Tick are set for jobs a periodic schedule enqueues.
	Periodic string
	Tick     time.Time
	// CorrelationID, when set, travels with the job to its handler and events.
	CorrelationID string
}

// Validate checks n against the rules, with d filling the gaps; it does not check that the type has a
// handler (the application knows which do).
func (n NewJob) Validate(d Defaults) error {
	var errs []error
	errs = append(errs, ValidateType(n.Type))
	if n.Queue != "" {
		errs = append(errs, ValidateQueue(n.Queue))
	}
	errs = append(errs, ValidatePayload(n.Payload))
	if n.Priority < 0 || n.Priority > MaxPriority {
		errs = append(errs, fmt.Errorf("%w: priority %d: must be 0-%d", ErrInvalid, n.Priority, MaxPriority))
	}
	if n.Delay < 0 {
		errs = append(errs, fmt.Errorf("%w: delay %s: must not be negative", ErrInvalid, n.Delay))
	}
	if n.Delay > MaxDelay {
		errs = append(errs, fmt.Errorf("%w: delay %s: at most %s", ErrInvalid, n.Delay, MaxDelay))
	}
	if n.Delay != 0 && !n.RunAt.IsZero() {
		errs = append(errs, fmt.Errorf("%w: give a delay or a run-at time, not both", ErrInvalid))
	}
	if !n.RunAt.IsZero() && (n.RunAt.Year() < 2000 || n.RunAt.Year() > 9999) {
		errs = append(errs, fmt.Errorf("%w: run-at %s: out of range", ErrInvalid, n.RunAt))
	}
	if n.MaxRetries != nil && (*n.MaxRetries < 0 || *n.MaxRetries > MaxRetriesLimit) {
		errs = append(errs, fmt.Errorf("%w: max retries %d: must be 0-%d", ErrInvalid, *n.MaxRetries, MaxRetriesLimit))
	}
	if n.Timeout != 0 && (n.Timeout < MinTimeout || n.Timeout > MaxTimeout) {
		errs = append(errs, fmt.Errorf("%w: timeout %s: must be %s-%s", ErrInvalid, n.Timeout, MinTimeout, MaxTimeout))
	}
	if n.UniqueKey != "" {
		if len(n.UniqueKey) > MaxUniqueKeyLen || !isName(n.UniqueKey) {
			errs = append(errs, fmt.Errorf("%w: unique key must be 1-%d characters of letters, digits and _ . - (starting with a letter or digit)",
				ErrInvalid, MaxUniqueKeyLen))
		}
	}
	if n.UniqueTTL != 0 {
		if n.UniqueKey == "" {
			errs = append(errs, fmt.Errorf("%w: unique ttl without a unique key", ErrInvalid))
		} else if n.UniqueTTL < MinUniqueTTL || n.UniqueTTL > MaxUniqueTTL {
			errs = append(errs, fmt.Errorf("%w: unique ttl %s: must be %s-%s", ErrInvalid, n.UniqueTTL, MinUniqueTTL, MaxUniqueTTL))
		}
	}
	return errors.Join(errs...)
}

// Spec validates n, applies d and draws an id.
func (n NewJob) Spec(d Defaults) (Spec, error) {
	if err := n.Validate(d); err != nil {
		return Spec{}, err
	}
	id, err := NewID()
	if err != nil {
		return Spec{}, err
	}
	s := Spec{ID: id, Queue: n.Queue, Type: n.Type, Payload: n.Payload, Priority: n.Priority,
		MaxRetries: d.MaxRetries, Timeout: n.Timeout, Delay: n.Delay, RunAt: n.RunAt,
		UniqueKey: n.UniqueKey, UniqueTTL: n.UniqueTTL}
	if s.Queue == "" {
		s.Queue = d.Queue
	}
	if n.MaxRetries != nil {
		s.MaxRetries = *n.MaxRetries
	}
	if s.Timeout == 0 {
		s.Timeout = d.Timeout
	}
	if s.UniqueKey != "" && s.UniqueTTL == 0 {
		s.UniqueTTL = DefaultUniqueTTL
	}
	return s, nil
}

// ValidateType accepts 1-128 characters of letters, digits and `_ . -`, starting with a letter or digit.
func ValidateType(t string) error {
	if len(t) > MaxTypeLen || !isName(t) {
		return fmt.Errorf("%w: type must be 1-%d characters of letters, digits and _ . - (starting with a letter or digit)",
			ErrInvalid, MaxTypeLen)
	}
	return nil
}

// ValidateQueue accepts 1-64 characters of letters, digits and `_ . -`: never `:`, `{`, `}` or `*`, so a
// queue name can sit inside a Redis hash tag.
func ValidateQueue(q string) error {
	if len(q) > MaxQueueLen || !isName(q) {
		return fmt.Errorf("%w: queue must be 1-%d characters of letters, digits and _ . - (starting with a letter or digit)",
			ErrInvalid, MaxQueueLen)
	}
	return nil
}

// ValidatePayload accepts empty input or one JSON value of at most MaxPayloadBytes.
func ValidatePayload(p []byte) error {
	if len(p) > MaxPayloadBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidPayload, len(p), MaxPayloadBytes)
	}
	if len(p) > 0 && !json.Valid(p) {
		return fmt.Errorf("%w: not valid JSON", ErrInvalidPayload)
	}
	return nil
}

// ValidateID accepts a job id as NewID draws them: 16 base64url characters.
func ValidateID(id string) error {
	if !isID(id) {
		return fmt.Errorf("%w: job id must be %d base64url characters", ErrInvalid, idLen)
	}
	return nil
}

// NewID draws a job id: 96 bits from crypto/rand as 16 base64url characters.
func NewID() (string, error) {
	var b [idBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("draw job id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// TruncateError cuts an error message to MaxErrorBytes, so a failure cannot bloat the job.
func TruncateError(msg string) string {
	if len(msg) <= MaxErrorBytes {
		return msg
	}
	cut := MaxErrorBytes - len("…")
	for cut > 0 && msg[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return msg[:cut] + "…"
}
