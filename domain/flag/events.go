package flag

import "time"

// ChangeKind names what a change did to a flag.
type ChangeKind string

// The kinds of change.
const (
	ChangeCreated  ChangeKind = "created"
	ChangeUpdated  ChangeKind = "updated"
	ChangeEnabled  ChangeKind = "enabled"  // the kill switch was released
	ChangeDisabled ChangeKind = "disabled" // the kill switch was pulled
	ChangeDeleted  ChangeKind = "deleted"
)

// Change is one stored change of a flag: the flag set's new version, who made it and when, and the flag
// before (nil when created) and after (nil when deleted).
type Change struct {
	Key     string
	Kind    ChangeKind
	Version int64
	Actor   string
	At      time.Time
	Before  *Flag
	After   *Flag
}

// Set is every flag at one version of the flag set.
type Set struct {
	Version int64
	Flags   []Flag
}

// Toggled is published as flags.toggled after any change to a flag (create, update, kill switch, delete),
// with the flag before and after. Every instance refreshes its snapshot when it sees a Version newer than
// its own; the audit trail records it once per Version.
type Toggled struct {
	Key     string     `json:"key"`
	Change  ChangeKind `json:"change"`
	Version int64      `json:"version"`
	Actor   string     `json:"actor"`
	At      time.Time  `json:"at"`
	Before  *Flag      `json:"before,omitempty"`
	After   *Flag      `json:"after,omitempty"`
}

// EventName implements ports.Event.
func (Toggled) EventName() string { return "flags.toggled" }

// EventVersion implements ports.Event.
func (Toggled) EventVersion() int { return 1 }

// ToggledFrom is the event of a stored change.
func ToggledFrom(c Change) Toggled {
	return Toggled{Key: c.Key, Change: c.Kind, Version: c.Version, Actor: c.Actor, At: c.At.UTC(),
		Before: c.Before, After: c.After}
}

// Evaluated is published as flags.evaluated for a sample of evaluations (one in N, configurable): which
// user got which variant and why. Counts of every evaluation are kept separately, per flag and variant.
type Evaluated struct {
	Key         string    `json:"key"`
	Variant     string    `json:"variant"`
	Reason      Reason    `json:"reason"`
	Rule        int       `json:"rule"`
	UserID      string    `json:"user_id"`
	Version     int64     `json:"version"`
	SampleEvery int64     `json:"sample_every"`
	EvaluatedAt time.Time `json:"evaluated_at"`
}

// EventName implements ports.Event.
func (Evaluated) EventName() string { return "flags.evaluated" }

// EventVersion implements ports.Event.
func (Evaluated) EventVersion() int { return 1 }

// AuditEntry is one change in a flag's audit trail: who changed it, when, and what it was before and
// after. Entries are identified by Version, so recording one twice keeps one.
type AuditEntry struct {
	Key     string     `json:"key"`
	Change  ChangeKind `json:"change"`
	Version int64      `json:"version"`
	Actor   string     `json:"actor"`
	At      time.Time  `json:"at"`
	Before  *Flag      `json:"before,omitempty"`
	After   *Flag      `json:"after,omitempty"`
}

// AuditFrom is the audit entry of a flags.toggled event.
func AuditFrom(t Toggled) AuditEntry {
	return AuditEntry(t)
}

// Count is a number of evaluations of one flag that served one variant.
type Count struct {
	Key     string
	Variant string
	N       int64
}
