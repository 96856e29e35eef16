// Package flag holds the feature-flag module's types, rules and events: boolean and multi-variant flags,
// targeting rules on user attributes, allow and deny lists, sticky percentage rollouts, weighted variants,
// a kill switch, and a pure evaluator that decides which variant a user gets without any I/O.
package flag

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Sentinel errors of the flags module. The HTTP adapter maps each to one status and problem type.
var (
	// ErrNotFound means no flag has the key.
	ErrNotFound = errors.New("flag not found")
	// ErrInvalid means a flag, rule or evaluation context breaks a rule of the module; it wraps a message
	// naming the field.
	ErrInvalid = errors.New("invalid flag input")
	// ErrVersionConflict means a conditional change named a version the flag no longer has (or the flag
	// exists when it must not): someone else changed it first.
	ErrVersionConflict = errors.New("flag version conflict")
)

// Type says whether a flag is a plain on/off switch or serves one of several named variants.
type Type string

// The flag types.
const (
	TypeBoolean      Type = "boolean"
	TypeMultivariate Type = "multivariate"
)

// The two variants of a boolean flag.
const (
	VariantOn  = "on"
	VariantOff = "off"
)

// Limits on what a flag may hold.
const (
	MaxKeyLen         = 64
	MaxDescriptionLen = 1024
	MaxVariants       = 32
	MaxWeight         = 1_000_000
	MaxRules          = 100
	MaxConditions     = 20
	MaxValues         = 1000
	MaxValueLen       = 256
	MaxListedUsers    = 10_000
	MaxUserIDLen      = 128
	MaxAttributes     = 64
	MaxAttrNameLen    = 64
	MaxAttrValueLen   = 1024
)

// MustNotExist is the expected version of a change that may only create a flag.
const MustNotExist int64 = -1

var (
	keyPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$`)
	namePattern    = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)
	userIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_.@\-]{1,128}$`)
	actorIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.@\-]{1,128}$`)
)

// Flag is one feature flag as stored and as the admin API shows it.
//
// Evaluation order: a disabled flag (the kill switch) serves OffVariant to everyone; then a user on Deny
// gets OffVariant; a user on Allow gets the "on" serve; then the first Rule whose conditions all hold
// serves its variant; otherwise DefaultVariant is served. Serving the empty variant means "on" for a
// boolean flag and the weighted split of Variants for a multivariate one.
type Flag struct {
	Key         string `json:"key"`
	Description string `json:"description,omitempty"`
	Type        Type   `json:"type"`
	// Enabled is the kill switch: false serves OffVariant to everyone, whatever the rules say.
	Enabled bool `json:"enabled"`
	// Variants of a multivariate flag, with weights for the split (a boolean flag has none: on and off).
	Variants []Variant `json:"variants,omitempty"`
	// OffVariant is served when the flag is disabled or the user is denied ("off" for a boolean flag).
	OffVariant string `json:"off_variant,omitempty"`
	// DefaultVariant is served when no rule matches; empty means the "on" serve.
	DefaultVariant string `json:"default_variant,omitempty"`
	// Allow lists users who always get the "on" serve; Deny lists users who always get OffVariant.
	Allow []string `json:"allow,omitempty"`
	Deny  []string `json:"deny,omitempty"`
	Rules []Rule   `json:"rules,omitempty"`

	// Version, UpdatedAt and UpdatedBy are set by the store on every change; a caller's values are ignored.
	// Version is the flag set's version number at the flag's last change, so it only ever grows.
	Version   int64     `json:"version,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Variant is one named outcome of a multivariate flag; Weight is its share of the split (weights need not
// add up to anything in particular: a variant gets Weight/sum of the users the split decides).
type Variant struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"`
}

// Rule serves Variant to users for whom every condition holds. An empty Variant means the "on" serve.
type Rule struct {
	Name       string      `json:"name,omitempty"`
	Conditions []Condition `json:"conditions"`
	Variant    string      `json:"variant,omitempty"`
}

// ValidateKey accepts 1 to 64 characters of letters, digits and `_ . -`, starting with a letter or digit:
// never `:`, `{`, `}` or `*`, so a key can sit inside a Redis key without escaping.
func ValidateKey(key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("%w: flag key %q must be 1-%d characters of letters, digits and _ . - starting with a letter or digit",
			ErrInvalid, clip(key), MaxKeyLen)
	}
	return nil
}

// ValidateUserID accepts 1 to 128 characters of letters, digits and `_ . @ -`.
func ValidateUserID(id string) error {
	if !userIDPattern.MatchString(id) {
		return fmt.Errorf("%w: user id %q must be 1-%d characters of letters, digits and _ . @ -",
			ErrInvalid, clip(id), MaxUserIDLen)
	}
	return nil
}

// ValidateActor accepts the name of whoever makes a change (an API key's name or a user id).
func ValidateActor(actor string) error {
	if !actorIDPattern.MatchString(actor) {
		return fmt.Errorf("%w: actor %q must be 1-128 characters of letters, digits and _ . @ -", ErrInvalid, clip(actor))
	}
	return nil
}

// Validate reports the first rule the flag breaks; every error wraps ErrInvalid. A flag that validates
// also compiles.
func (f Flag) Validate() error {
	_, err := Compile(f)
	return err
}

// check validates the flag field by field; Compile calls it before building the evaluator.
func (f Flag) check() error {
	if err := ValidateKey(f.Key); err != nil {
		return err
	}
	if len(f.Description) > MaxDescriptionLen {
		return fmt.Errorf("%w: description: at most %d bytes", ErrInvalid, MaxDescriptionLen)
	}
	switch f.Type {
	case TypeBoolean:
		if len(f.Variants) != 0 {
			return fmt.Errorf("%w: a boolean flag has no variants (it serves on or off)", ErrInvalid)
		}
		if f.OffVariant != "" && f.OffVariant != VariantOff {
			return fmt.Errorf("%w: off_variant of a boolean flag is %q", ErrInvalid, VariantOff)
		}
	case TypeMultivariate:
		if err := checkVariants(f.Variants); err != nil {
			return err
		}
		if f.OffVariant == "" {
			return fmt.Errorf("%w: a multivariate flag needs an off_variant", ErrInvalid)
		}
	default:
		return fmt.Errorf("%w: type %q: want %q or %q", ErrInvalid, clip(string(f.Type)), TypeBoolean, TypeMultivariate)
	}
	if err := f.checkVariantRef("off_variant", f.OffVariant); err != nil {
		return err
	}
	if err := f.checkVariantRef("default_variant", f.DefaultVariant); err != nil {
		return err
	}
	if err := checkLists(f.Allow, f.Deny); err != nil {
		return err
	}
	if len(f.Rules) > MaxRules {
		return fmt.Errorf("%w: at most %d rules", ErrInvalid, MaxRules)
	}
	for i, r := range f.Rules {
		if len(r.Name) > MaxAttrNameLen {
			return fmt.Errorf("%w: rules[%d].name: at most %d bytes", ErrInvalid, i, MaxAttrNameLen)
		}
		if err := f.checkVariantRef(fmt.Sprintf("rules[%d].variant", i), r.Variant); err != nil {
			return err
		}
		if len(r.Conditions) == 0 || len(r.Conditions) > MaxConditions {
			return fmt.Errorf("%w: rules[%d]: 1-%d conditions (use default_variant for everyone else)",
				ErrInvalid, i, MaxConditions)
		}
		for j, c := range r.Conditions {
			if err := c.check(); err != nil {
				return fmt.Errorf("rules[%d].conditions[%d]: %w", i, j, err)
			}
		}
	}
	return nil
}

func checkVariants(vs []Variant) error {
	if len(vs) < 2 || len(vs) > MaxVariants {
		return fmt.Errorf("%w: a multivariate flag needs 2-%d variants", ErrInvalid, MaxVariants)
	}
	seen := make(map[string]bool, len(vs))
	total := 0
	for i, v := range vs {
		if !namePattern.MatchString(v.Name) {
			return fmt.Errorf("%w: variants[%d].name %q must be 1-64 characters of letters, digits and _ . -",
				ErrInvalid, i, clip(v.Name))
		}
		if seen[v.Name] {
			return fmt.Errorf("%w: variant %q declared twice", ErrInvalid, v.Name)
		}
		seen[v.Name] = true
		if v.Weight < 0 || v.Weight > MaxWeight {
			return fmt.Errorf("%w: variants[%d].weight %d: must be 0-%d", ErrInvalid, i, v.Weight, MaxWeight)
		}
		total += v.Weight
	}
	if total == 0 {
		return fmt.Errorf("%w: variant weights add up to 0", ErrInvalid)
	}
	return nil
}

// checkVariantRef accepts "" (the on serve) or a variant the flag has.
func (f Flag) checkVariantRef(field, name string) error {
	if name == "" {
		return nil
	}
	if f.Type == TypeBoolean {
		if name == VariantOn || name == VariantOff {
			return nil
		}
		return fmt.Errorf("%w: %s %q: a boolean flag serves %q or %q", ErrInvalid, field, clip(name), VariantOn, VariantOff)
	}
	for _, v := range f.Variants {
		if v.Name == name {
			return nil
		}
	}
	return fmt.Errorf("%w: %s %q is not a variant of the flag", ErrInvalid, field, clip(name))
}

func checkLists(allow, deny []string) error {
	if len(allow) > MaxListedUsers || len(deny) > MaxListedUsers {
		return fmt.Errorf("%w: allow and deny lists hold at most %d users each", ErrInvalid, MaxListedUsers)
	}
	denied := make(map[string]bool, len(deny))
	for _, u := range deny {
		if err := ValidateUserID(u); err != nil {
			return fmt.Errorf("deny: %w", err)
		}
		denied[u] = true
	}
	for _, u := range allow {
		if err := ValidateUserID(u); err != nil {
			return fmt.Errorf("allow: %w", err)
		}
		if denied[u] {
			return fmt.Errorf("%w: user %q is on both the allow and the deny list", ErrInvalid, u)
		}
	}
	return nil
}

// clip shortens user input quoted in an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
