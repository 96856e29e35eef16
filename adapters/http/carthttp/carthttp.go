// Package carthttp serves the cart module over HTTP: a signed-in user manages its own cart with its session;
// a guest manages a guest cart with the token it got when the cart was created (header X-Cart-Token); the
// inventory is administered with a service key holding the admin scope.
package carthttp

import (
	"fmt"
	"net/http"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/cartapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/cart"
)

// TokenHeader carries a guest's cart token.
const TokenHeader = "X-Cart-Token"

// Handlers serves the cart endpoints.
type Handlers struct {
	svc *cartapp.Service
}

// New returns the cart handlers.
func New(svc *cartapp.Service) *Handlers { return &Handlers{svc: svc} }

// Routes lists the cart endpoints with who may call them. Guest routes are public to the server (a guest
// has no principal) and check the cart token themselves: without one they answer 401. They are throttled
// by the caller's address, since anyone may create a guest cart and reserve stock with it.
func (h *Handlers) Routes() []httpapi.Route {
	holder := httpapi.Access{User: true}
	guest := httpapi.Access{Public: true, Throttled: true}
	admin := httpapi.Access{Scope: auth.ScopeAdmin}
	return []httpapi.Route{
		{Pattern: "GET /v1/cart", Access: holder, Handle: h.user(h.get)},
		{Pattern: "DELETE /v1/cart", Access: holder, Handle: h.user(h.clear)},
		{Pattern: "POST /v1/cart/items", Access: holder, Handle: h.user(h.add)},
		{Pattern: "PUT /v1/cart/items/{sku}", Access: holder, Handle: h.user(h.set)},
		{Pattern: "DELETE /v1/cart/items/{sku}", Access: holder, Handle: h.user(h.remove)},
		{Pattern: "POST /v1/cart/reservations/extend", Access: holder, Handle: h.user(h.extend)},
		{Pattern: "POST /v1/cart/checkout", Access: holder, Handle: h.user(h.checkout)},
		{Pattern: "POST /v1/cart/merge", Access: holder, Handle: h.merge},

		{Pattern: "POST /v1/guest-carts", Access: guest, Handle: h.createGuest},
		{Pattern: "GET /v1/guest-cart", Access: guest, Handle: h.guest(h.get)},
		{Pattern: "DELETE /v1/guest-cart", Access: guest, Handle: h.guest(h.clear)},
		{Pattern: "POST /v1/guest-cart/items", Access: guest, Handle: h.guest(h.add)},
		{Pattern: "PUT /v1/guest-cart/items/{sku}", Access: guest, Handle: h.guest(h.set)},
		{Pattern: "DELETE /v1/guest-cart/items/{sku}", Access: guest, Handle: h.guest(h.remove)},
		{Pattern: "POST /v1/guest-cart/reservations/extend", Access: guest, Handle: h.guest(h.extend)},
		{Pattern: "POST /v1/guest-cart/checkout", Access: guest, Handle: h.guest(h.checkout)},

		{Pattern: "GET /v1/inventory/{sku}", Access: admin, Handle: h.stock},
		{Pattern: "PUT /v1/inventory/{sku}", Access: admin, Handle: h.setStock},
		{Pattern: "POST /v1/inventory/{sku}/adjust", Access: admin, Handle: h.adjustStock},
	}
}

// cartHandler handles a request on a cart the caller holds.
type cartHandler func(w http.ResponseWriter, r *http.Request, ref cart.Ref) error

// user serves the session holder's own cart; the route's Access guarantees a user principal.
func (h *Handlers) user(next cartHandler) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, _ := auth.FromContext(r.Context())
		return next(w, r, cart.UserCart(p.Name))
	}
}

// guest serves the cart whose token the request carries.
func (h *Handlers) guest(next cartHandler) httpapi.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		raw := r.Header.Get(TokenHeader)
		if raw == "" {
			return fmt.Errorf("%w: a guest cart needs its token in %s", auth.ErrUnauthenticated, TokenHeader)
		}
		tok, err := cart.ParseGuestToken(raw)
		if err != nil {
			return err
		}
		return next(w, r, tok.Ref())
	}
}

// LineView is the JSON form of a cart line with its reservation.
type LineView struct {
	SKU            string     `json:"sku"`
	Quantity       int64      `json:"quantity"`
	UnitPriceCents int64      `json:"unit_price_cents"`
	LineTotalCents int64      `json:"line_total_cents"`
	AddedAt        time.Time  `json:"added_at"`
	Reserved       int64      `json:"reserved"`
	ReservedUntil  *time.Time `json:"reserved_until,omitempty"`
}

func lineView(l cart.Line, r cart.Reservation) LineView {
	v := LineView{SKU: l.SKU, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents, LineTotalCents: l.TotalCents(),
		AddedAt: l.AddedAt.UTC(), Reserved: r.Quantity}
	if r.Quantity > 0 && !r.ExpiresAt.IsZero() {
		until := r.ExpiresAt.UTC()
		v.ReservedUntil = &until
	}
	return v
}

// CartView is the JSON form of a cart.
type CartView struct {
	Kind            cart.Kind  `json:"kind"`
	UserID          string     `json:"user_id,omitempty"`
	CartID          string     `json:"cart_id,omitempty"`
	Lines           []LineView `json:"lines"`
	Units           int64      `json:"units"`
	TotalCents      int64      `json:"total_cents"`
	CheckoutPending bool       `json:"checkout_pending,omitempty"`
	CreatedAt       *time.Time `json:"created_at,omitempty"`
	UpdatedAt       *time.Time `json:"updated_at,omitempty"`
}

func cartView(v cartapp.View) CartView {
	out := CartView{Kind: v.Ref.Kind, Lines: make([]LineView, 0, len(v.Lines)), Units: v.Units(),
		TotalCents: v.TotalCents(), CheckoutPending: v.PendingOrder != "", CreatedAt: stamp(v.CreatedAt),
		UpdatedAt: stamp(v.UpdatedAt)}
	if v.Ref.Kind == cart.KindGuest {
		out.CartID = v.Ref.ID
	} else {
		out.UserID = v.Ref.ID
	}
	for i, l := range v.Lines {
		var r cart.Reservation
		if i < len(v.Reservations) {
			r = v.Reservations[i]
		}
		out.Lines = append(out.Lines, lineView(l, r))
	}
	return out
}

func stamp(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

type guestCreated struct {
	Token string   `json:"token"`
	Cart  CartView `json:"cart"`
}

func (h *Handlers) createGuest(w http.ResponseWriter, r *http.Request) error {
	tok, c, err := h.svc.NewGuestCart(r.Context())
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusCreated, guestCreated{Token: tok.String(), Cart: cartView(cartapp.View{Cart: c})})
}

func (h *Handlers) get(w http.ResponseWriter, r *http.Request, ref cart.Ref) error {
	v, err := h.svc.Get(r.Context(), ref)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, cartView(v))
}

func (h *Handlers) clear(w http.ResponseWriter, r *http.Request, ref cart.Ref) error {
	if err := h.svc.Clear(r.Context(), ref); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type addRequest struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

func (h *Handlers) add(w http.ResponseWriter, r *http.Request, ref cart.Ref) error {
	var req addRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	line, res, err := h.svc.AddItem(r.Context(), ref, req.SKU, req.Quantity)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, lineView(line, res))
}

type setRequest struct {
	Quantity *int64 `json:"quantity"`
}

func (h *Handlers) set(w http.ResponseWriter, r *http.Request, ref cart.Ref) error {
	var req setRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.Quantity == nil {
		return fmt.Errorf("%w: quantity is required", cart.ErrInvalid)
	}
	line, res, err := h.svc.SetQuantity(r.Context(), ref, r.PathValue("sku"), *req.Quantity)
	if err != nil {
		return err
	}
	if *req.Quantity == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return httpapi.JSON(w, http.StatusOK, lineView(line, res))
}

func (h *Handlers) remove(w http.ResponseWriter, r *http.Request, ref cart.Ref) error {
	if _, err := h.svc.RemoveItem(r.Context(), ref, r.PathValue("sku")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ReservationView is the JSON form of a reservation.
type ReservationView struct {
	SKU           string     `json:"sku"`
	Reserved      int64      `json:"reserved"`
	ReservedUntil *time.Time `json:"reserved_until,omitempty"`
}

func (h *Handlers) extend(w http.ResponseWriter, r *http.Request, ref cart.Ref) error {
	list, err := h.svc.ExtendReservations(r.Context(), ref)
	if err != nil {
		return err
	}
	out := make([]ReservationView, 0, len(list))
	for _, res := range list {
		v := ReservationView{SKU: res.SKU, Reserved: res.Quantity}
		if res.Quantity > 0 {
			v.ReservedUntil = stamp(res.ExpiresAt)
		}
		out = append(out, v)
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"reservations": out})
}

// OrderLineView is the JSON form of a line sold by a checkout.
type OrderLineView struct {
	SKU            string `json:"sku"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
	LineTotalCents int64  `json:"line_total_cents"`
}

// OrderView is the JSON form of a completed checkout.
type OrderView struct {
	OrderID      string          `json:"order_id"`
	Lines        []OrderLineView `json:"lines"`
	TotalCents   int64           `json:"total_cents"`
	CheckedOutAt time.Time       `json:"checked_out_at"`
}

func (h *Handlers) checkout(w http.ResponseWriter, r *http.Request, ref cart.Ref) error {
	o, err := h.svc.Checkout(r.Context(), ref)
	if err != nil {
		return err
	}
	out := OrderView{OrderID: o.ID, TotalCents: o.TotalCents(), CheckedOutAt: o.CheckedOutAt.UTC(),
		Lines: make([]OrderLineView, 0, len(o.Lines))}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, OrderLineView{SKU: l.SKU, Quantity: l.Quantity, UnitPriceCents: l.UnitPriceCents,
			LineTotalCents: l.TotalCents()})
	}
	return httpapi.JSON(w, http.StatusCreated, out)
}

type mergeRequest struct {
	GuestToken string `json:"guest_token"`
}

// merge lets a signed-in user who still holds a guest cart's token merge it at once (the same merge as
// on session.created, by the configured policy).
func (h *Handlers) merge(w http.ResponseWriter, r *http.Request) error {
	var req mergeRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	tok, err := cart.ParseGuestToken(req.GuestToken)
	if err != nil {
		return fmt.Errorf("%w: guest_token is not a guest cart token", cart.ErrInvalid)
	}
	p, _ := auth.FromContext(r.Context())
	ev, err := h.svc.MergeGuest(r.Context(), p.Name, tok.ID(), h.svc.MergePolicy())
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, ev)
}

// StockView is the JSON form of a SKU's stock.
type StockView struct {
	SKU        string `json:"sku"`
	OnHand     int64  `json:"on_hand"`
	Reserved   int64  `json:"reserved"`
	Available  int64  `json:"available"`
	Sold       int64  `json:"sold"`
	PriceCents int64  `json:"price_cents"`
}

func stockView(s cart.Stock) StockView {
	return StockView{SKU: s.SKU, OnHand: s.OnHand, Reserved: s.Reserved, Available: s.Available(), Sold: s.Sold,
		PriceCents: s.PriceCents}
}

func (h *Handlers) stock(w http.ResponseWriter, r *http.Request) error {
	s, err := h.svc.Stock(r.Context(), r.PathValue("sku"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, stockView(s))
}

type setStockRequest struct {
	OnHand     *int64 `json:"on_hand"`
	PriceCents *int64 `json:"price_cents"`
}

func (h *Handlers) setStock(w http.ResponseWriter, r *http.Request) error {
	var req setStockRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.OnHand == nil || req.PriceCents == nil {
		return fmt.Errorf("%w: on_hand and price_cents are required", cart.ErrInvalid)
	}
	s, err := h.svc.SetStock(r.Context(), r.PathValue("sku"), *req.OnHand, *req.PriceCents)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, stockView(s))
}

type adjustRequest struct {
	Delta int64 `json:"delta"`
}

func (h *Handlers) adjustStock(w http.ResponseWriter, r *http.Request) error {
	var req adjustRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	s, err := h.svc.AdjustStock(r.Context(), r.PathValue("sku"), req.Delta)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, stockView(s))
}
