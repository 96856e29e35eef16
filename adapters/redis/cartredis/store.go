// Package cartredis implements ports.CartStore and ports.Inventory on Redis: one hash per cart under the
// cart's hash tag, one hash per SKU (with its reservation expiries and order entries) under the SKU's tag,
// changed only by the Lua scripts in lua/. Each script touches one slot; operations on several SKUs
// pipeline one script per SKU.
package cartredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/rdb"
	"github.com/statekit/statekit/adapters/redis/reply"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
)

// Replies of the cart scripts (the first element of a reply; see the script headers).
const (
	replyOK       = 1
	replyBefore   = 2
	replyNone     = 0
	replyPending  = -1
	replyNoLine   = -2
	replyLimit    = -3
	replyEmpty    = -4
	replyUnknown  = -5
	replyShort    = -6
	replyConflict = -7
	replyTooMuch  = -8
)

// Store is the Redis cart store.
type Store struct {
	rdb    redis.UniversalClient
	keys   keys
	policy cart.Policy
	clock  ports.Clock
}

var _ ports.CartStore = (*Store)(nil)

// New returns a cart store on rdb whose keys start with prefix and whose carts live as long as policy
// says. With a nil clock the scripts read Redis server time; a clock (tests) makes them use its time.
func New(rdb redis.UniversalClient, prefix string, policy cart.Policy, clock ports.Clock) *Store {
	return &Store{rdb: rdb, keys: newKeys(prefix), policy: policy, clock: clock}
}

func nowArg(clock ports.Clock) int64 {
	if clock == nil {
		return 0
	}
	return clock.Now().UnixMilli()
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

func mustExist(ref cart.Ref) string {
	if ref.Kind == cart.KindGuest {
		return "1"
	}
	return "0"
}

// CreateGuest runs create.lua: one round trip.
func (s *Store) CreateGuest(ctx context.Context, id string) (cart.Cart, error) {
	ref := cart.GuestCart(id)
	res, err := createScript.Run(ctx, s.rdb, []string{s.keys.of(ref)}, nowArg(s.clock), ms(s.policy.GuestTTL)).Result()
	if err != nil {
		return cart.Cart{}, rdb.Wrap("create guest cart", err)
	}
	d := reply.New("create guest cart")
	if code := d.Int64s(res, 1)[0]; d.Err() == nil && code != replyOK {
		return cart.Cart{}, fmt.Errorf("create guest cart: %w: id taken", cart.ErrInvalid)
	}
	created := d.Int64s(res, 2)[1]
	if err := d.Err(); err != nil {
		return cart.Cart{}, err
	}
	at := time.UnixMilli(created)
	return cart.Cart{Ref: ref, CreatedAt: at, UpdatedAt: at}, nil
}

// Get reads the cart hash with HGETALL: one round trip.
func (s *Store) Get(ctx context.Context, ref cart.Ref) (cart.Cart, error) {
	h, err := s.rdb.HGetAll(ctx, s.keys.of(ref)).Result()
	if err != nil {
		return cart.Cart{}, rdb.Wrap("get cart", err)
	}
	if len(h) == 0 && ref.Kind == cart.KindGuest {
		return cart.Cart{}, cart.ErrNotFound
	}
	c := cart.Cart{Ref: ref, PendingOrder: h["co"]}
	c.CreatedAt, err = millis(h["c"])
	if err == nil {
		c.UpdatedAt, err = millis(h["m"])
	}
	for f, v := range h {
		if sku, ok := strings.CutPrefix(f, "l:"); ok && err == nil {
			var l cart.Line
			l, err = decodeLine(sku, v)
			c.Lines = append(c.Lines, l)
		}
	}
	if err != nil {
		return cart.Cart{}, fmt.Errorf("get cart: %w", err)
	}
	sortLines(c.Lines)
	return c, nil
}

// AddLine runs change.lua in add mode: one round trip.
func (s *Store) AddLine(ctx context.Context, ref cart.Ref, sku string, qty, priceCents int64) (cart.Line, error) {
	return s.change(ctx, ref, "add", sku, qty, priceCents)
}

// SetQuantity runs change.lua in set mode: one round trip.
func (s *Store) SetQuantity(ctx context.Context, ref cart.Ref, sku string, qty int64) (cart.Line, error) {
	return s.change(ctx, ref, "set", sku, qty, 0)
}

func (s *Store) change(ctx context.Context, ref cart.Ref, mode, sku string, qty, price int64) (cart.Line, error) {
	res, err := changeScript.Run(ctx, s.rdb, []string{s.keys.of(ref)}, mode, sku, qty, price, nowArg(s.clock),
		ms(s.policy.TTL(ref.Kind)), mustExist(ref), cart.MaxLines, cart.MaxQuantity).Result()
	if err != nil {
		return cart.Line{}, rdb.Wrap("change cart line", err)
	}
	return changeReply(ref, sku, res)
}

// RemoveLine runs remove.lua for one SKU: one round trip.
func (s *Store) RemoveLine(ctx context.Context, ref cart.Ref, sku string) (cart.Line, error) {
	lines, err := s.remove(ctx, ref, sku)
	if err != nil {
		return cart.Line{}, err
	}
	return lines[0], nil
}

// Clear runs remove.lua for every line: one round trip.
func (s *Store) Clear(ctx context.Context, ref cart.Ref) ([]cart.Line, error) {
	return s.remove(ctx, ref, "")
}

func (s *Store) remove(ctx context.Context, ref cart.Ref, sku string) ([]cart.Line, error) {
	res, err := removeScript.Run(ctx, s.rdb, []string{s.keys.of(ref)}, sku, nowArg(s.clock),
		ms(s.policy.TTL(ref.Kind)), mustExist(ref)).Result()
	if err != nil {
		return nil, rdb.Wrap("remove cart lines", err)
	}
	return linesReply("remove cart lines", ref, sku, res)
}

// DetachGuest runs detach.lua on the guest cart's slot: one round trip.
func (s *Store) DetachGuest(ctx context.Context, guestID, userID string) ([]cart.Line, error) {
	guest := cart.GuestCart(guestID)
	res, err := detachScript.Run(ctx, s.rdb, []string{s.keys.of(guest), s.keys.detached(guestID)},
		userID, ms(s.policy.IdempotencyWindow)).Result()
	if err != nil {
		return nil, rdb.Wrap("detach guest cart", err)
	}
	return linesReply("detach guest cart", guest, "", res)
}

// MergeLines runs merge.lua on the user's cart slot: one round trip.
func (s *Store) MergeLines(ctx context.Context, userID, guestID string, lines []cart.Line, policy cart.MergePolicy) (cart.MergeOutcome, error) {
	user := cart.UserCart(userID)
	args := make([]any, 0, 6+2*len(lines))
	args = append(args, nowArg(s.clock), ms(s.policy.UserTTL), ms(s.policy.IdempotencyWindow), string(policy),
		cart.MaxLines, cart.MaxQuantity)
	for _, l := range lines {
		args = append(args, l.SKU, encodeLine(l))
	}
	res, err := mergeScript.Run(ctx, s.rdb, []string{s.keys.of(user), s.keys.marker(userID, guestID)}, args...).Result()
	if err != nil {
		return cart.MergeOutcome{}, rdb.Wrap("merge cart", err)
	}
	return mergeReply(user, res)
}

// CompleteMerge pipelines merge_done.lua on the user's slot and DEL of the detached guest cart: one round
// trip (a second one, once per server, if the script was not cached yet; both steps are idempotent).
func (s *Store) CompleteMerge(ctx context.Context, userID, guestID string) error {
	marker := []string{s.keys.marker(userID, guestID)}
	for attempt := 0; ; attempt++ {
		pipe := s.rdb.Pipeline()
		var done *redis.Cmd
		if attempt == 0 {
			done = mergeDoneScript.EvalSha(ctx, pipe, marker)
		} else {
			done = mergeDoneScript.Eval(ctx, pipe, marker)
		}
		del := pipe.Del(ctx, s.keys.detached(guestID))
		_, _ = pipe.Exec(ctx) // errors are read per command
		if attempt == 0 && redis.HasErrorPrefix(done.Err(), "NOSCRIPT") {
			continue
		}
		return rdb.Wrap("complete merge", errors.Join(done.Err(), del.Err()))
	}
}

// BeginCheckout runs checkout_begin.lua: one round trip.
func (s *Store) BeginCheckout(ctx context.Context, ref cart.Ref, orderID string) (cart.Cart, error) {
	res, err := checkoutBeginScript.Run(ctx, s.rdb, []string{s.keys.of(ref)}, orderID, nowArg(s.clock),
		ms(s.policy.CheckoutLease), mustExist(ref)).Result()
	if err != nil {
		return cart.Cart{}, rdb.Wrap("begin checkout", err)
	}
	return checkoutReply(ref, res)
}

// orderLine is how an order record stores a line.
type orderLine struct {
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

// FinishCheckout runs checkout_finish.lua: one round trip.
func (s *Store) FinishCheckout(ctx context.Context, o cart.Order) (time.Time, bool, error) {
	lines := make([]orderLine, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = orderLine{SKU: l.SKU, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents}
	}
	raw, err := json.Marshal(lines)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("finish checkout: %w", err)
	}
	res, err := checkoutFinishScript.Run(ctx, s.rdb, []string{s.keys.of(o.Cart), s.keys.order(o.Cart, o.ID)},
		o.ID, raw, o.TotalCents(), nowArg(s.clock), ms(s.policy.OrderTTL), ms(s.policy.TTL(o.Cart.Kind))).Result()
	if err != nil {
		return time.Time{}, false, rdb.Wrap("finish checkout", err)
	}
	d := reply.New("finish checkout")
	if code := d.Int64s(res, 1)[0]; d.Err() == nil && code == replyNone {
		return time.Time{}, false, fmt.Errorf("finish checkout: %w: order %s no longer holds the cart", cart.ErrCheckoutPending, o.ID)
	}
	a := d.Int64s(res, 2)
	if err := d.Err(); err != nil {
		return time.Time{}, false, err
	}
	return time.UnixMilli(a[1]), a[0] == replyOK, nil
}

// AbortCheckout runs checkout_abort.lua: one round trip.
func (s *Store) AbortCheckout(ctx context.Context, ref cart.Ref, orderID string) error {
	err := checkoutAbortScript.Run(ctx, s.rdb, []string{s.keys.of(ref)}, orderID).Err()
	return rdb.Wrap("abort checkout", err)
}

func encodeLine(l cart.Line) string {
	return strconv.FormatInt(l.Quantity, 10) + "," + strconv.FormatInt(l.UnitPriceCents, 10) + "," +
		strconv.FormatInt(l.AddedAt.UnixMilli(), 10)
}

func decodeLine(sku, v string) (cart.Line, error) {
	parts := strings.Split(v, ",")
	if len(parts) != 3 {
		return cart.Line{}, fmt.Errorf("decode line %s: %q", sku, v)
	}
	var n [3]int64
	for i, p := range parts {
		x, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return cart.Line{}, fmt.Errorf("decode line %s: %w", sku, err)
		}
		n[i] = x
	}
	return cart.Line{SKU: sku, Quantity: n[0], UnitPriceCents: n[1], AddedAt: time.UnixMilli(n[2])}, nil
}

func millis(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("decode time %q: %w", v, err)
	}
	return time.UnixMilli(n), nil
}

// sortLines orders lines by when their SKU was first added, then by SKU.
func sortLines(lines []cart.Line) {
	slices.SortFunc(lines, func(a, b cart.Line) int {
		if c := a.AddedAt.Compare(b.AddedAt); c != 0 {
			return c
		}
		return strings.Compare(a.SKU, b.SKU)
	})
}
