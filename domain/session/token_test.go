package session_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/statekit/statekit/domain/session"
)

func TestTokenRoundTrip(t *testing.T) {
	t.Parallel()
	for _, userID := range []string{"alice", "bob@example.com", "u_1.2-3", strings.Repeat("x", session.MaxUserIDLen)} {
		tok, err := session.NewToken(userID)
		if err != nil {
			t.Fatalf("NewToken(%q): %v", userID, err)
		}
		s := tok.String()
		if len(s) != 48 {
			t.Errorf("len(NewToken(%q).String()) = %d, want 48", userID, len(s))
		}
		parsed, err := session.ParseToken(s)
		if err != nil {
			t.Fatalf("ParseToken(%q): %v", s, err)
		}
		if parsed.String() != s {
			t.Errorf("ParseToken(%q).String() = %q", s, parsed.String())
		}
		if parsed.ID() != tok.ID() {
			t.Errorf("ID after round trip = %q, want %q", parsed.ID(), tok.ID())
		}
		if err := session.ValidateID(tok.ID()); err != nil {
			t.Errorf("ValidateID(%q): %v", tok.ID(), err)
		}
		if strings.Contains(tok.ID(), s) || tok.ID() == s {
			t.Errorf("ID %q reveals the token %q", tok.ID(), s)
		}
		if got, want := parsed.Shard(), session.Shard(userID); got != want {
			t.Errorf("Shard() = %q, want Shard(%q) = %q", got, userID, want)
		}
		if !strings.HasPrefix(s, session.Shard(userID)+".") {
			t.Errorf("token %q does not start with the user's shard", s)
		}
	}
}

func TestNewTokenIsFresh(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		tok, err := session.NewToken("alice")
		if err != nil {
			t.Fatal(err)
		}
		if seen[tok.String()] || seen[tok.ID()] {
			t.Fatalf("NewToken repeated %q", tok.String())
		}
		seen[tok.String()], seen[tok.ID()] = true, true
	}
}

func TestShard(t *testing.T) {
	t.Parallel()
	// The first two bytes of SHA-256 of the user id, in lowercase hex: stable across releases, because every
	// issued token and every Redis key depends on it.
	for u, want := range map[string]string{"alice": "2bd8", "bob": "81b6", "": "e3b0"} {
		if got := session.Shard(u); got != want {
			t.Errorf("Shard(%q) = %q, want %q", u, got, want)
		}
	}
}

func TestParseTokenRejects(t *testing.T) {
	t.Parallel()
	tok, err := session.NewToken("alice")
	if err != nil {
		t.Fatal(err)
	}
	good := tok.String()
	shard, secret := good[:4], good[5:]
	withSecretChar := func(c string) string { return shard + "." + secret[:20] + c + secret[21:] }

	// sameLen marks inputs of the right length, so only their content can make them fail.
	tests := []struct {
		name, in string
		sameLen  bool
	}{
		{"empty", "", false},
		{"short by one", good[:len(good)-1], false},
		{"long by one", good + "A", false},
		{"secret only", secret, false},
		{"no dot", shard + "x" + secret, true},
		{"dot in wrong place", shard[:3] + "." + shard[3:] + secret, true},
		{"non-hex shard", "zzzz." + secret, true},
		{"uppercase shard", "ABCD." + secret, true},
		{"colon in shard", "ab:c." + secret, true},
		{"brace in shard", "{ab}." + secret, true},
		{"star in shard", "ab*c." + secret, true},
		{"colon in secret", withSecretChar(":"), true},
		{"open brace in secret", withSecretChar("{"), true},
		{"close brace in secret", withSecretChar("}"), true},
		{"star in secret", withSecretChar("*"), true},
		{"std base64 plus", withSecretChar("+"), true},
		{"std base64 slash", withSecretChar("/"), true},
		{"padding", withSecretChar("="), true},
		{"space", withSecretChar(" "), true},
		{"newline", withSecretChar("\n"), true},
		{"NUL", withSecretChar("\x00"), true},
		{"non-ASCII same length", shard + "." + secret[:19] + "é" + secret[21:], true},
		{"leading space", " " + good[1:], true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.sameLen && len(tt.in) != len(good) {
				t.Fatalf("test input %q has length %d, want %d so only its content is wrong", tt.in, len(tt.in), len(good))
			}
			got, err := session.ParseToken(tt.in)
			if !errors.Is(err, session.ErrInvalidToken) {
				t.Errorf("ParseToken(%q) = %q, %v; want ErrInvalidToken", tt.in, got.String(), err)
			}
		})
	}
}

func FuzzParseToken(f *testing.F) {
	tok, err := session.NewToken("alice")
	if err != nil {
		f.Fatal(err)
	}
	good := tok.String()
	for _, seed := range []string{
		good,
		"0000.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"ffff.___________________________________________",
		"ffff.-------------------------------------------",
		"",
		".",
		"abcd.",
		good[:len(good)-1],
		good + "x",
		"ABCD" + good[4:],
		"{ab}" + good[4:],
		good[:4] + ":" + good[5:],
		good[:10] + "*" + good[11:],
		good[:10] + "é" + good[12:],
		strings.Repeat(".", 48),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := session.ParseToken(s)
		if err != nil {
			if !errors.Is(err, session.ErrInvalidToken) {
				t.Fatalf("ParseToken(%q) error %v is not ErrInvalidToken", s, err)
			}
			return
		}
		if tok.String() != s {
			t.Fatalf("ParseToken(%q).String() = %q", s, tok.String())
		}
		if id := tok.ID(); len(id) != 43 || session.ValidateID(id) != nil {
			t.Fatalf("ParseToken(%q).ID() = %q, want 43 base64url characters", s, id)
		}
		if tok.Shard() != s[:4] {
			t.Fatalf("ParseToken(%q).Shard() = %q", s, tok.Shard())
		}
		if strings.ContainsAny(s, ":{}* \n") {
			t.Fatalf("ParseToken accepted %q, which holds a character unsafe in a key", s)
		}
		again, err := session.ParseToken(tok.String())
		if err != nil || again != tok {
			t.Fatalf("re-parse of %q = %v, %v", tok.String(), again, err)
		}
	})
}
