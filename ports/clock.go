package ports

//go:generate go tool mockgen -source=clock.go -destination=mocks/clock.go -package=mocks

import "time"

// Clock tells the time. Production code that needs atomic time reads Redis TIME inside a script; a Clock is
// for tests that simulate time and for code that has no Redis round trip to ride on.
type Clock interface {
	Now() time.Time
}
