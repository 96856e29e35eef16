package flag

import (
	"fmt"
	"slices"
)

// Context is who a flag is evaluated for: a user id and attributes the rules may test (plan, country,
// app_version, ...). Attribute "user_id" is the user id itself and may not be set as an attribute.
type Context struct {
	UserID     string
	Attributes map[string]string
}

// Validate checks the user id and attributes of a context that came from outside.
func (c Context) Validate() error {
	if err := ValidateUserID(c.UserID); err != nil {
		return err
	}
	if len(c.Attributes) > MaxAttributes {
		return fmt.Errorf("%w: attributes: at most %d", ErrInvalid, MaxAttributes)
	}
	for name, v := range c.Attributes {
		if !namePattern.MatchString(name) || name == AttrUserID {
			return fmt.Errorf("%w: attribute name %q must be 1-64 characters of letters, digits and _ . - (and not %s)",
				ErrInvalid, clip(name), AttrUserID)
		}
		if len(v) > MaxAttrValueLen {
			return fmt.Errorf("%w: attribute %s: at most %d bytes", ErrInvalid, name, MaxAttrValueLen)
		}
	}
	return nil
}

// Reason says why an evaluation served what it did.
type Reason string

// The reasons of an evaluation.
const (
	ReasonOff      Reason = "off"       // the flag is disabled (kill switch)
	ReasonDenied   Reason = "denied"    // the user is on the deny list
	ReasonAllowed  Reason = "allowed"   // the user is on the allow list
	ReasonRule     Reason = "rule"      // a rule matched (Result.Rule says which)
	ReasonDefault  Reason = "default"   // no rule matched
	ReasonNotFound Reason = "not_found" // no flag has the key
)

// Result is the outcome of one evaluation.
type Result struct {
	Key     string
	Variant string
	// VariantIndex is the position of Variant in the compiled flag's Variants (-1 when not found), so
	// callers can count per variant without hashing its name.
	VariantIndex int
	// On reports that the user got something other than the off variant.
	On     bool
	Reason Reason
	// Rule is the index of the matching rule, -1 when no rule decided.
	Rule    int
	Version int64
}

// NotFound is the result for a key no flag has.
func NotFound(key string) Result {
	return Result{Key: key, VariantIndex: -1, Reason: ReasonNotFound, Rule: -1}
}

// Compiled is a validated flag ready for evaluation: lists turned into sets, values parsed, weights summed.
// It is immutable and safe for concurrent use.
type Compiled struct {
	flag     Flag
	variants []string
	cum      []uint64 // cumulative weights, aligned with variants
	total    uint64
	off      int
	def      int    // -1: the on serve
	split    uint64 // the seed of the weighted split
	allow    map[string]struct{}
	deny     map[string]struct{}
	rules    []rule
}

type rule struct {
	conds   []condition
	variant int // -1: the on serve
}

// Compile validates f and builds its evaluator. Errors wrap ErrInvalid.
func Compile(f Flag) (*Compiled, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	c := &Compiled{flag: f, off: -1}
	if f.Type == TypeBoolean {
		c.variants = []string{VariantOn, VariantOff}
		c.cum = []uint64{1, 1} // the split of a boolean flag is always on
	} else {
		var sum uint64
		for _, v := range f.Variants {
			c.variants = append(c.variants, v.Name)
			sum += uint64(v.Weight)
			c.cum = append(c.cum, sum)
		}
	}
	c.total = c.cum[len(c.cum)-1]
	off := f.OffVariant
	if off == "" {
		off = VariantOff
	}
	c.off = slices.Index(c.variants, off)
	c.def = c.index(f.DefaultVariant)
	c.split = seed(f.Key, saltVariant)
	c.allow = set(f.Allow)
	c.deny = set(f.Deny)
	for _, r := range f.Rules {
		cr := rule{variant: c.index(r.Variant)}
		for _, cond := range r.Conditions {
			cr.conds = append(cr.conds, compileCondition(f.Key, cond))
		}
		c.rules = append(c.rules, cr)
	}
	return c, nil
}

func (c *Compiled) index(variant string) int {
	if variant == "" {
		return -1
	}
	return slices.Index(c.variants, variant)
}

func set(list []string) map[string]struct{} {
	if len(list) == 0 {
		return nil
	}
	m := make(map[string]struct{}, len(list))
	for _, u := range list {
		m[u] = struct{}{}
	}
	return m
}

// Flag returns the flag the evaluator was compiled from.
func (c *Compiled) Flag() Flag { return c.flag }

// Variants lists the variant names in the order Result.VariantIndex refers to (on, off for a boolean flag).
func (c *Compiled) Variants() []string { return slices.Clone(c.variants) }

// Evaluate decides the variant for ctx. It is pure, deterministic and allocation-free: the same flag and
// context always give the same result, on every instance.
func (c *Compiled) Evaluate(ctx *Context) Result {
	if !c.flag.Enabled {
		return c.result(c.off, ReasonOff, -1)
	}
	if ctx.UserID != "" {
		if _, ok := c.deny[ctx.UserID]; ok {
			return c.result(c.off, ReasonDenied, -1)
		}
		if _, ok := c.allow[ctx.UserID]; ok {
			return c.result(c.serve(-1, ctx.UserID), ReasonAllowed, -1)
		}
	}
	for i := range c.rules {
		r := &c.rules[i]
		matched := true
		for j := range r.conds {
			if !r.conds[j].match(ctx) {
				matched = false
				break
			}
		}
		if matched {
			return c.result(c.serve(r.variant, ctx.UserID), ReasonRule, i)
		}
	}
	return c.result(c.serve(c.def, ctx.UserID), ReasonDefault, -1)
}

// serve returns the variant index itself, or for -1 the weighted split chosen by hashing the user id.
func (c *Compiled) serve(variant int, userID string) int {
	if variant >= 0 {
		return variant
	}
	if len(c.variants) == 2 && c.flag.Type == TypeBoolean {
		return 0
	}
	point := hashID(c.split, userID) % c.total
	for i, edge := range c.cum {
		if point < edge {
			return i
		}
	}
	return len(c.cum) - 1 // unreachable: point < total = the last edge
}

func (c *Compiled) result(variant int, reason Reason, ruleIndex int) Result {
	return Result{Key: c.flag.Key, Variant: c.variants[variant], VariantIndex: variant, On: variant != c.off,
		Reason: reason, Rule: ruleIndex, Version: c.flag.Version}
}
