package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// A token is what a session holder presents: "<shard>.<secret>". The secret is 256 bits from crypto/rand; the
// shard is four hex digits derived from the user id, so the token alone locates the Redis hash slot that holds
// every session of its user (one slot per user keeps create-and-cap atomic on Redis Cluster). Only the SHA-256
// of the whole token is stored: it is the session's ID, and a copy of Redis yields no usable token.
const (
	shardLen  = 4
	secretLen = 43 // 32 bytes, unpadded base64url
	idLen     = 43 // SHA-256, unpadded base64url
	tokenLen  = shardLen + 1 + secretLen
)

// Token is a parsed, well-formed bearer token.
type Token struct {
	value string
}

// NewToken draws a fresh token for a user from crypto/rand.
func NewToken(userID string) (Token, error) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return Token{}, fmt.Errorf("draw session token: %w", err)
	}
	return Token{value: Shard(userID) + "." + base64.RawURLEncoding.EncodeToString(secret[:])}, nil
}

// ParseToken accepts only the exact form NewToken produces, so nothing else reaches a key name.
func ParseToken(s string) (Token, error) {
	if len(s) != tokenLen || s[shardLen] != '.' || !isHex(s[:shardLen]) || !isBase64URL(s[shardLen+1:]) {
		return Token{}, ErrInvalidToken
	}
	return Token{value: s}, nil
}

// String returns the token as the holder presents it.
func (t Token) String() string { return t.value }

// Shard returns the slot shard the token was issued for.
func (t Token) Shard() string { return t.value[:shardLen] }

// ID returns the session ID: the unpadded base64url SHA-256 of the token.
func (t Token) ID() string {
	sum := sha256.Sum256([]byte(t.value))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Shard maps a user id to the four hex digits that pick the hash slot of all that user's sessions.
func Shard(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return hex.EncodeToString(sum[:2])
}

func isHex(s string) bool {
	return strings.Trim(s, "0123456789abcdef") == ""
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
