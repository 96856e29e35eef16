package cart

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// A guest holds its cart by a token "g.<43 base64url characters>": 256 bits from crypto/rand. Redis never
// sees the token, only its SHA-256 (unpadded base64url), which is the guest cart id. The id is what a
// trusted backend passes as guest_cart_id when it signs the guest in; the token is what unlocks the cart
// over HTTP.
const (
	tokenPrefix = "g."
	secretLen   = 43 // 32 bytes, unpadded base64url
	guestIDLen  = 43 // SHA-256, unpadded base64url
	orderIDLen  = 22 // 16 bytes, unpadded base64url
)

// GuestToken is a parsed, well-formed guest cart token.
type GuestToken struct {
	value string
}

// NewGuestToken draws a fresh guest cart token from crypto/rand.
func NewGuestToken() (GuestToken, error) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return GuestToken{}, fmt.Errorf("draw guest cart token: %w", err)
	}
	return GuestToken{value: tokenPrefix + base64.RawURLEncoding.EncodeToString(secret[:])}, nil
}

// ParseGuestToken accepts only the exact form NewGuestToken produces.
func ParseGuestToken(s string) (GuestToken, error) {
	if len(s) != len(tokenPrefix)+secretLen || !strings.HasPrefix(s, tokenPrefix) || !isBase64URL(s[len(tokenPrefix):]) {
		return GuestToken{}, ErrInvalidToken
	}
	return GuestToken{value: s}, nil
}

// String returns the token as the guest presents it.
func (t GuestToken) String() string { return t.value }

// ID returns the guest cart id: the unpadded base64url SHA-256 of the token.
func (t GuestToken) ID() string {
	sum := sha256.Sum256([]byte(t.value))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Ref returns the guest cart the token unlocks.
func (t GuestToken) Ref() Ref { return GuestCart(t.ID()) }

// ValidateGuestID accepts a guest cart id: 43 base64url characters.
func ValidateGuestID(id string) error {
	if len(id) != guestIDLen || !isBase64URL(id) {
		return fmt.Errorf("%w: guest cart id must be %d base64url characters", ErrInvalid, guestIDLen)
	}
	return nil
}

// NewOrderID draws an order id: 128 bits from crypto/rand, unpadded base64url.
func NewOrderID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("draw order id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// ValidateOrderID accepts an order id of the form NewOrderID draws.
func ValidateOrderID(id string) error {
	if len(id) != orderIDLen || !isBase64URL(id) {
		return fmt.Errorf("%w: order id must be %d base64url characters", ErrInvalid, orderIDLen)
	}
	return nil
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
