package job

import "time"

// Completed is published as jobs.completed after a job's run succeeded and was recorded.
type Completed struct {
	JobID       string    `json:"job_id"`
	Queue       string    `json:"queue"`
	Type        string    `json:"type"`
	Attempt     int       `json:"attempt"`
	CompletedAt time.Time `json:"completed_at"`
}

// EventName implements ports.Event.
func (Completed) EventName() string { return "jobs.completed" }

// EventVersion implements ports.Event.
func (Completed) EventVersion() int { return 1 }

// Failed is published as jobs.failed after a run failed (an error, a panic, a deadline, or a lease that
// expired because its worker died) and the job was scheduled for a retry or dead-lettered.
type Failed struct {
	JobID   string `json:"job_id"`
	Queue   string `json:"queue"`
	Type    string `json:"type"`
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
	// WillRetry is false when the job was dead-lettered (a jobs.dead_lettered follows).
	WillRetry bool `json:"will_retry"`
	// RetryAt is when the job runs again (a lost lease returns it to pending at once).
	RetryAt time.Time `json:"retry_at,omitzero"`
}

// EventName implements ports.Event.
func (Failed) EventName() string { return "jobs.failed" }

// EventVersion implements ports.Event.
func (Failed) EventVersion() int { return 1 }

// DeadLettered is published as jobs.dead_lettered when a job failed for the last time or permanently; it
// stays in the queue's dead letters (for the dead retention) where an operator can inspect and retry it.
type DeadLettered struct {
	JobID    string    `json:"job_id"`
	Queue    string    `json:"queue"`
	Type     string    `json:"type"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error"`
	At       time.Time `json:"at"`
}

// EventName implements ports.Event.
func (DeadLettered) EventName() string { return "jobs.dead_lettered" }

// EventVersion implements ports.Event.
func (DeadLettered) EventVersion() int { return 1 }
