package ports

//go:generate go tool mockgen -source=flag.go -destination=mocks/flag.go -package=mocks

import (
	"context"

	"github.com/statekit/statekit/domain/flag"
)

// FlagStore keeps the feature flags, the flag set's version number, the audit trail and evaluation counts.
// Every change bumps the version number in the same atomic step, so a reader holding version v knows it
// has every change up to v. Flags are validated by the caller before they get here.
type FlagStore interface {
	// All returns every flag and the version they are at, read atomically (one round trip).
	All(ctx context.Context) (flag.Set, error)
	// Version returns the flag set's version number (one round trip); 0 before the first change.
	Version(ctx context.Context) (int64, error)
	// Get returns one flag, or flag.ErrNotFound.
	Get(ctx context.Context, key string) (flag.Flag, error)
	// Put creates or replaces a flag as actor. expect is the version the flag must have now: 0 accepts
	// any, flag.MustNotExist only creates; a mismatch is flag.ErrVersionConflict and changes nothing.
	Put(ctx context.Context, f flag.Flag, expect int64, actor string) (flag.Change, error)
	// SetEnabled pulls (false) or releases (true) a flag's kill switch without touching its rules. It
	// returns flag.ErrNotFound for an unknown key. Setting the state it already has is still a change.
	SetEnabled(ctx context.Context, key string, enabled bool, actor string) (flag.Change, error)
	// Delete removes a flag (and its evaluation counts; its audit trail stays). expect is as for Put.
	Delete(ctx context.Context, key string, expect int64, actor string) (flag.Change, error)
	// RecordAudit adds an entry to a flag's audit trail unless an entry with its version is already there;
	// it reports whether it added one.
	RecordAudit(ctx context.Context, e flag.AuditEntry) (bool, error)
	// Audit returns up to limit entries of a flag's trail, newest first, with versions below before (0:
	// from the newest).
	Audit(ctx context.Context, key string, before int64, limit int) ([]flag.AuditEntry, error)
	// AddCounts adds evaluation counts (one round trip for the whole batch).
	AddCounts(ctx context.Context, counts []flag.Count) error
	// Counts returns a flag's evaluation counts per variant.
	Counts(ctx context.Context, key string) (map[string]int64, error)
}
