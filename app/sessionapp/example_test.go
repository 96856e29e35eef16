package sessionapp_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/statekit/statekit/adapters/redis/sessionredis"
	"github.com/statekit/statekit/app/sessionapp"
	"github.com/statekit/statekit/domain/session"
	"github.com/statekit/statekit/tests/eventlog"
	"github.com/statekit/statekit/tests/harness"
)

// TestMain stops the redis-server the Examples start.
func TestMain(m *testing.M) { os.Exit(harness.Run(m)) }

// A service creates a session for a signed-in user and hands out its token once; the token later
// authenticates the user's requests, and ending the session makes it worthless.
func Example() {
	ctx := context.Background()
	rdb, err := harness.Open()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Client.Close()
	svc := sessionapp.NewService(sessionredis.New(rdb.Client, rdb.Prefix, nil), &eventlog.Printer{},
		session.DefaultPolicy())

	issued, err := svc.Create(ctx, session.NewSession{UserID: "alice", IP: "203.0.113.7"})
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := svc.Authenticate(ctx, issued.Token.String())
	fmt.Println("authenticated:", s.UserID, err)

	if err := svc.End(ctx, "alice", issued.Session.ID, session.EndLogout); err != nil {
		fmt.Println(err)
		return
	}
	_, err = svc.Authenticate(ctx, issued.Token.String())
	fmt.Println("after logout:", err)
	// Output:
	// event: session.created
	// authenticated: alice <nil>
	// event: session.ended
	// after logout: session not found
}
