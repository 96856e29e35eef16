package flag

import (
	"fmt"
	"math"
	"strconv"
)

// Op is a condition's operator.
type Op string

// The operators a condition may use. Numeric operators compare the attribute and the value as decimal
// numbers; semver operators as semantic versions (an optional leading "v", 1 to 3 numeric parts and an
// optional pre-release; build metadata is ignored); percentage puts a sticky share of users in.
const (
	OpEquals     Op = "equals"
	OpNotEquals  Op = "not_equals"
	OpIn         Op = "in"
	OpNotIn      Op = "not_in"
	OpLT         Op = "lt"
	OpLTE        Op = "lte"
	OpGT         Op = "gt"
	OpGTE        Op = "gte"
	OpSemverEQ   Op = "semver_eq"
	OpSemverLT   Op = "semver_lt"
	OpSemverLTE  Op = "semver_lte"
	OpSemverGT   Op = "semver_gt"
	OpSemverGTE  Op = "semver_gte"
	OpPercentage Op = "percentage"
)

// AttrUserID names the evaluation context's user id in a condition. It is also the attribute a
// percentage condition hashes when it names none.
const AttrUserID = "user_id"

// Condition is one test on an attribute of the evaluation context. A condition on an attribute the
// context lacks never holds, whatever its operator (not_equals and not_in included).
//
// equals, not_equals, the numeric and the semver operators take Value; in and not_in take Values;
// percentage takes Percent (0 to 100, to three decimals) and holds for that share of users, chosen by
// hashing the flag key with the attribute (the user id by default), so the same users stay in as the
// share grows.
type Condition struct {
	Attribute string   `json:"attribute,omitempty"`
	Op        Op       `json:"op"`
	Value     string   `json:"value,omitempty"`
	Values    []string `json:"values,omitempty"`
	Percent   *float64 `json:"percent,omitempty"`
}

type opKind int

const (
	kindString opKind = iota
	kindSet
	kindNumber
	kindSemver
	kindPercent
)

var ops = map[Op]opKind{
	OpEquals: kindString, OpNotEquals: kindString,
	OpIn: kindSet, OpNotIn: kindSet,
	OpLT: kindNumber, OpLTE: kindNumber, OpGT: kindNumber, OpGTE: kindNumber,
	OpSemverEQ: kindSemver, OpSemverLT: kindSemver, OpSemverLTE: kindSemver, OpSemverGT: kindSemver, OpSemverGTE: kindSemver,
	OpPercentage: kindPercent,
}

// check validates the condition; its errors wrap ErrInvalid.
func (c Condition) check() error {
	kind, ok := ops[c.Op]
	if !ok {
		return fmt.Errorf("%w: unknown op %q", ErrInvalid, clip(string(c.Op)))
	}
	if c.Attribute == "" && kind != kindPercent {
		return fmt.Errorf("%w: op %s needs an attribute", ErrInvalid, c.Op)
	}
	if c.Attribute != "" && !namePattern.MatchString(c.Attribute) {
		return fmt.Errorf("%w: attribute %q must be 1-64 characters of letters, digits and _ . -", ErrInvalid, clip(c.Attribute))
	}
	if kind != kindSet && c.Values != nil {
		return fmt.Errorf("%w: op %s takes no values (in and not_in do)", ErrInvalid, c.Op)
	}
	if kind != kindPercent && c.Percent != nil {
		return fmt.Errorf("%w: op %s takes no percent (percentage does)", ErrInvalid, c.Op)
	}
	if (kind == kindSet || kind == kindPercent) && c.Value != "" {
		return fmt.Errorf("%w: op %s takes no value", ErrInvalid, c.Op)
	}
	switch kind {
	case kindString, kindNumber, kindSemver:
		if c.Value == "" || len(c.Value) > MaxValueLen {
			return fmt.Errorf("%w: op %s needs a value of 1-%d bytes", ErrInvalid, c.Op, MaxValueLen)
		}
		if kind == kindNumber {
			if _, err := parseNumber(c.Value); err != nil {
				return err
			}
		}
		if kind == kindSemver {
			if _, ok := parseSemver(c.Value); !ok {
				return fmt.Errorf("%w: value %q is not a semantic version such as 2.4.1 or 3.0.0-beta.2", ErrInvalid, clip(c.Value))
			}
		}
	case kindSet:
		if len(c.Values) == 0 || len(c.Values) > MaxValues {
			return fmt.Errorf("%w: op %s needs 1-%d values", ErrInvalid, c.Op, MaxValues)
		}
		for _, v := range c.Values {
			if len(v) > MaxValueLen {
				return fmt.Errorf("%w: values: each at most %d bytes", ErrInvalid, MaxValueLen)
			}
		}
	case kindPercent:
		if c.Percent == nil {
			return fmt.Errorf("%w: op percentage needs a percent", ErrInvalid)
		}
		if p := *c.Percent; !(p >= 0 && p <= 100) {
			return fmt.Errorf("%w: percent %v: must be between 0 and 100", ErrInvalid, p)
		}
	}
	return nil
}

func parseNumber(s string) (float64, error) {
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return 0, fmt.Errorf("%w: value %q is not a finite decimal number", ErrInvalid, clip(s))
	}
	return n, nil
}

// condition is a compiled Condition: values parsed once, sets built once.
type condition struct {
	attr      string
	userID    bool
	op        Op
	str       string
	set       map[string]struct{}
	num       float64
	ver       semver
	threshold uint32 // percentage: a bucket below it is in
	seed      uint64 // percentage: the flag's rollout seed
}

func compileCondition(flagKey string, c Condition) condition {
	attr := c.Attribute
	if attr == "" {
		attr = AttrUserID
	}
	cc := condition{attr: attr, userID: attr == AttrUserID, op: c.Op, str: c.Value}
	switch ops[c.Op] {
	case kindSet:
		cc.set = make(map[string]struct{}, len(c.Values))
		for _, v := range c.Values {
			cc.set[v] = struct{}{}
		}
	case kindNumber:
		cc.num, _ = parseNumber(c.Value)
	case kindSemver:
		cc.ver, _ = parseSemver(c.Value)
	case kindPercent:
		cc.threshold = uint32(math.Round(*c.Percent * Buckets / 100))
		cc.seed = seed(flagKey, saltRollout)
	}
	return cc
}

// match reports whether the condition holds for ctx.
func (c *condition) match(ctx *Context) bool {
	var v string
	if c.userID {
		v = ctx.UserID
	} else {
		var ok bool
		if v, ok = ctx.Attributes[c.attr]; !ok {
			return false
		}
	}
	if v == "" && c.userID {
		return false
	}
	switch c.op {
	case OpEquals:
		return v == c.str
	case OpNotEquals:
		return v != c.str
	case OpIn:
		_, ok := c.set[v]
		return ok
	case OpNotIn:
		_, ok := c.set[v]
		return !ok
	case OpLT, OpLTE, OpGT, OpGTE:
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(n) {
			return false
		}
		switch c.op {
		case OpLT:
			return n < c.num
		case OpLTE:
			return n <= c.num
		case OpGT:
			return n > c.num
		default:
			return n >= c.num
		}
	case OpPercentage:
		return uint32(hashID(c.seed, v)%Buckets) < c.threshold
	default: // semver
		got, ok := parseSemver(v)
		if !ok {
			return false
		}
		cmp := got.compare(c.ver)
		switch c.op {
		case OpSemverEQ:
			return cmp == 0
		case OpSemverLT:
			return cmp < 0
		case OpSemverLTE:
			return cmp <= 0
		case OpSemverGT:
			return cmp > 0
		default:
			return cmp >= 0
		}
	}
}
