package jobhttp

import (
	"encoding/json"
	"time"

	"github.com/statekit/statekit/domain/job"
)

// View is the JSON form of a job.
type View struct {
	ID             string          `json:"id"`
	Queue          string          `json:"queue"`
	Type           string          `json:"type"`
	Payload        json.RawMessage `json:"payload,omitempty"`
	Priority       int             `json:"priority"`
	State          string          `json:"state"`
	Attempts       int             `json:"attempts"`
	MaxRetries     int             `json:"max_retries"`
	Timeout        string          `json:"timeout"`
	UniqueKey      string          `json:"unique_key,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	RunAt          *time.Time      `json:"run_at,omitempty"`
	StartedAt      *time.Time      `json:"started_at,omitempty"`
	FinishedAt     *time.Time      `json:"finished_at,omitempty"`
	LeaseExpiresAt *time.Time      `json:"lease_expires_at,omitempty"`
	LastError      string          `json:"last_error,omitempty"`
	Result         json.RawMessage `json:"result,omitempty"`
	Worker         string          `json:"worker,omitempty"`
	Periodic       string          `json:"periodic,omitempty"`
	Tick           *time.Time      `json:"tick,omitempty"`
}

func view(j job.Job) View {
	return View{ID: j.ID, Queue: j.Queue, Type: j.Type, Payload: rawJSON(j.Payload), Priority: j.Priority,
		State: string(j.State), Attempts: j.Attempts, MaxRetries: j.MaxRetries, Timeout: j.Timeout.String(),
		UniqueKey: j.UniqueKey, CreatedAt: j.CreatedAt.UTC(), RunAt: optTime(j.RunAt), StartedAt: optTime(j.StartedAt),
		FinishedAt: optTime(j.FinishedAt), LeaseExpiresAt: optTime(j.LeaseExpiresAt), LastError: j.LastError,
		Result: rawJSON(j.Result), Worker: j.Worker, Periodic: j.Periodic, Tick: optTime(j.Tick)}
}

// rawJSON passes stored JSON through; bytes a handler returned that are not JSON travel as a JSON string.
func rawJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// StatsView is the JSON form of a queue's statistics.
type StatsView struct {
	Queue               string `json:"queue"`
	Paused              bool   `json:"paused"`
	Pending             int64  `json:"pending"`
	Scheduled           int64  `json:"scheduled"`
	Active              int64  `json:"active"`
	Retry               int64  `json:"retry"`
	Dead                int64  `json:"dead"`
	Completed           int64  `json:"completed"`
	Processed           int64  `json:"processed"`
	Failed              int64  `json:"failed"`
	ProcessedLastMinute int64  `json:"processed_last_minute"`
	FailedLastMinute    int64  `json:"failed_last_minute"`
}

func statsView(s job.QueueStats) StatsView {
	return StatsView{Queue: s.Queue, Paused: s.Paused, Pending: s.Pending, Scheduled: s.Scheduled, Active: s.Active,
		Retry: s.Retry, Dead: s.Dead, Completed: s.Completed, Processed: s.Processed, Failed: s.Failed,
		ProcessedLastMinute: s.ProcessedLastMinute, FailedLastMinute: s.FailedLastMinute}
}
