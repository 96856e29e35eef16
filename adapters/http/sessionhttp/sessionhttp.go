// Package sessionhttp serves the sessions module over HTTP: trusted services (scope "sessions") create and
// manage any user's sessions; a session holder manages its own with its token.
package sessionhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	httpapi "github.com/statekit/statekit/adapters/http"
	"github.com/statekit/statekit/app/sessionapp"
	"github.com/statekit/statekit/domain/auth"
	"github.com/statekit/statekit/domain/session"
)

// Handlers serves the session endpoints.
type Handlers struct {
	svc          *sessionapp.Service
	cookieSecure bool
}

// New returns the session handlers; cookieSecure marks the session cookie Secure.
func New(svc *sessionapp.Service, cfg httpapi.Config) *Handlers {
	return &Handlers{svc: svc, cookieSecure: cfg.CookieSecure}
}

// Resolver authenticates a session token for the server: it counts the request as activity on the
// session and returns its holder as a user principal.
func (h *Handlers) Resolver() httpapi.TokenResolver {
	return func(ctx context.Context, token string) (auth.Principal, error) {
		sess, err := h.svc.Authenticate(ctx, token)
		if errors.Is(err, session.ErrNotFound) {
			// A token whose session ended (logout, rotation, eviction, expiry) fails authentication: 401,
			// so the client signs in again, not a 404 about a resource it never named.
			return auth.Principal{}, fmt.Errorf("%w: %w", auth.ErrUnauthenticated, err)
		}
		if err != nil {
			return auth.Principal{}, err
		}
		return auth.Principal{Kind: auth.KindUser, Name: sess.UserID, SessionID: sess.ID}, nil
	}
}

// Routes lists the session endpoints with who may call them.
func (h *Handlers) Routes() []httpapi.Route {
	service := httpapi.Access{Scope: Scope}
	holder := httpapi.Access{User: true}
	return []httpapi.Route{
		{Pattern: "POST /v1/users/{userID}/sessions", Access: service, Handle: h.create},
		{Pattern: "GET /v1/users/{userID}/sessions", Access: service, Handle: h.listForUser},
		{Pattern: "GET /v1/users/{userID}/sessions/count", Access: service, Handle: h.countForUser},
		{Pattern: "DELETE /v1/users/{userID}/sessions", Access: service, Handle: h.revokeAll},
		{Pattern: "GET /v1/users/{userID}/sessions/{sessionID}", Access: service, Handle: h.getForUser},
		{Pattern: "DELETE /v1/users/{userID}/sessions/{sessionID}", Access: service, Handle: h.revokeOne},
		{Pattern: "POST /v1/users/{userID}/sessions/{sessionID}/rotate", Access: service, Handle: h.rotateForUser},
		{Pattern: "GET /v1/session", Access: holder, Handle: h.current},
		{Pattern: "PATCH /v1/session", Access: holder, Handle: h.update},
		{Pattern: "DELETE /v1/session", Access: holder, Handle: h.logout},
		{Pattern: "POST /v1/session/rotate", Access: holder, Handle: h.rotateCurrent},
		{Pattern: "GET /v1/sessions", Access: holder, Handle: h.listMine},
		{Pattern: "DELETE /v1/sessions", Access: holder, Handle: h.endOthers},
		{Pattern: "DELETE /v1/sessions/{sessionID}", Access: holder, Handle: h.endMine},
	}
}

// View is the JSON form of a session.
type View struct {
	ID                string            `json:"id"`
	UserID            string            `json:"user_id"`
	IP                string            `json:"ip,omitempty"`
	Device            map[string]string `json:"device"`
	Data              map[string]string `json:"data"`
	CreatedAt         time.Time         `json:"created_at"`
	LastActivityAt    time.Time         `json:"last_activity_at"`
	ExpiresAt         time.Time         `json:"expires_at"`
	AbsoluteExpiresAt time.Time         `json:"absolute_expires_at"`
	ActivityCount     int64             `json:"activity_count"`
	Current           bool              `json:"current,omitempty"`
}

func view(s session.Session, currentID string) View {
	device := s.Device
	if device == nil {
		device = map[string]string{}
	}
	return View{ID: s.ID, UserID: s.UserID, IP: s.IP, Device: device, Data: s.Data,
		CreatedAt: s.CreatedAt.UTC(), LastActivityAt: s.LastActivity.UTC(), ExpiresAt: s.ExpiresAt().UTC(),
		AbsoluteExpiresAt: s.AbsExpiresAt.UTC(), ActivityCount: s.ActivityCount, Current: currentID != "" && s.ID == currentID}
}

func views(list []session.Session, currentID string) []View {
	out := make([]View, 0, len(list))
	for _, s := range list {
		out = append(out, view(s, currentID))
	}
	return out
}

// issuedView is the answer to a create or rotate: the token is shown here once and never again.
type issuedView struct {
	Token   string `json:"token"`
	Session View   `json:"session"`
}

type createRequest struct {
	IP          string            `json:"ip"`
	Device      map[string]string `json:"device"`
	GuestCartID string            `json:"guest_cart_id"`
}

func (h *Handlers) create(w http.ResponseWriter, r *http.Request) error {
	var req createRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.IP == "" {
		req.IP = remoteIP(r)
	}
	issued, err := h.svc.Create(r.Context(), session.NewSession{
		UserID: r.PathValue("userID"), IP: req.IP, Device: req.Device, GuestCartID: req.GuestCartID,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/users/"+issued.Session.UserID+"/sessions/"+issued.Session.ID)
	return httpapi.JSON(w, http.StatusCreated, issuedView{Token: issued.Token.String(), Session: view(issued.Session, "")})
}

func (h *Handlers) listForUser(w http.ResponseWriter, r *http.Request) error {
	list, err := h.svc.List(r.Context(), r.PathValue("userID"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"sessions": views(list, ""), "count": len(list)})
}

func (h *Handlers) countForUser(w http.ResponseWriter, r *http.Request) error {
	n, err := h.svc.Count(r.Context(), r.PathValue("userID"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]int{"count": n})
}

func (h *Handlers) revokeAll(w http.ResponseWriter, r *http.Request) error {
	n, err := h.svc.EndAll(r.Context(), r.PathValue("userID"), "")
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]int{"ended": n})
}

func (h *Handlers) getForUser(w http.ResponseWriter, r *http.Request) error {
	s, err := h.svc.Get(r.Context(), r.PathValue("userID"), r.PathValue("sessionID"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, view(s, ""))
}

func (h *Handlers) revokeOne(w http.ResponseWriter, r *http.Request) error {
	if err := h.svc.End(r.Context(), r.PathValue("userID"), r.PathValue("sessionID"), session.EndRevoked); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) rotateForUser(w http.ResponseWriter, r *http.Request) error {
	issued, err := h.svc.Rotate(r.Context(), r.PathValue("userID"), r.PathValue("sessionID"))
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, issuedView{Token: issued.Token.String(), Session: view(issued.Session, "")})
}

// holder returns the session holder of a request; the route's Access guarantees there is one.
func holder(r *http.Request) auth.Principal {
	p, _ := auth.FromContext(r.Context())
	return p
}

func (h *Handlers) current(w http.ResponseWriter, r *http.Request) error {
	p := holder(r)
	s, err := h.svc.Get(r.Context(), p.Name, p.SessionID)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, view(s, p.SessionID))
}

type updateRequest struct {
	Data map[string]*string `json:"data"`
}

func (h *Handlers) update(w http.ResponseWriter, r *http.Request) error {
	var req updateRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	p := holder(r)
	s, err := h.svc.Update(r.Context(), p.Name, p.SessionID, req.Data)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, view(s, p.SessionID))
}

func (h *Handlers) logout(w http.ResponseWriter, r *http.Request) error {
	p := holder(r)
	if err := h.svc.End(r.Context(), p.Name, p.SessionID, session.EndLogout); err != nil {
		return err
	}
	if usedCookie(r) {
		http.SetCookie(w, h.cookie("", -1))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handlers) rotateCurrent(w http.ResponseWriter, r *http.Request) error {
	p := holder(r)
	issued, err := h.svc.Rotate(r.Context(), p.Name, p.SessionID)
	if err != nil {
		return err
	}
	if usedCookie(r) {
		http.SetCookie(w, h.cookie(issued.Token.String(), int(time.Until(issued.Session.AbsExpiresAt).Seconds())))
	}
	return httpapi.JSON(w, http.StatusOK, issuedView{Token: issued.Token.String(), Session: view(issued.Session, issued.Session.ID)})
}

func (h *Handlers) listMine(w http.ResponseWriter, r *http.Request) error {
	p := holder(r)
	list, err := h.svc.List(r.Context(), p.Name)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]any{"sessions": views(list, p.SessionID), "count": len(list)})
}

func (h *Handlers) endOthers(w http.ResponseWriter, r *http.Request) error {
	p := holder(r)
	n, err := h.svc.EndAll(r.Context(), p.Name, p.SessionID)
	if err != nil {
		return err
	}
	return httpapi.JSON(w, http.StatusOK, map[string]int{"ended": n})
}

func (h *Handlers) endMine(w http.ResponseWriter, r *http.Request) error {
	p := holder(r)
	id := r.PathValue("sessionID")
	reason := session.EndRevoked
	if id == p.SessionID {
		reason = session.EndLogout
	}
	if err := h.svc.End(r.Context(), p.Name, id, reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// cookie builds the session cookie: HttpOnly, SameSite=Strict, Secure unless configured off.
func (h *Handlers) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: httpapi.SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.cookieSecure, SameSite: http.SameSiteStrictMode}
}

func usedCookie(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return false
	}
	_, err := r.Cookie(httpapi.SessionCookie)
	return err == nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
