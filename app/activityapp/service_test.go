package activityapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang/mock/gomock"

	"github.com/statekit/statekit/app/activityapp"
	"github.com/statekit/statekit/domain/activity"
	"github.com/statekit/statekit/domain/cart"
	"github.com/statekit/statekit/ports"
	"github.com/statekit/statekit/ports/mocks"
)

var t0 = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

type fixture struct {
	store *mocks.MockActivityStore
	pub   *mocks.MockEventPublisher
	svc   *activityapp.Service
}

func newFixture(t *testing.T) fixture {
	ctrl := gomock.NewController(t)
	store, pub := mocks.NewMockActivityStore(ctrl), mocks.NewMockEventPublisher(ctrl)
	return fixture{store: store, pub: pub, svc: activityapp.NewService(store, pub, activity.DefaultPolicy())}
}

func TestRecordPublishesRecorded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := activity.NewActivity{UserID: "alice", Action: "page.view", Object: "page/home", SessionID: "s1",
		Properties: map[string]string{"ref": "ad"}}
	var drawn string
	f.store.EXPECT().Record(ctx, gomock.Any(), false, nil).DoAndReturn(
		func(_ context.Context, a activity.NewActivity, _ bool, _ *activity.Detector) (activity.Stored, error) {
			drawn = a.ID
			if len(a.ID) != 32 || strings.Trim(a.ID, "0123456789abcdef") != "" {
				t.Errorf("drawn id %q, want 32 hex digits", a.ID)
			}
			a.ID = ""
			if !reflect.DeepEqual(a, in) {
				t.Errorf("stored %+v, want %+v", a, in)
			}
			return activity.Stored{Activity: activity.Activity{ID: drawn, UserID: "alice", Action: "page.view",
				Object: "page/home", SessionID: "s1", Properties: in.Properties, At: t0, Cursor: "1-0"}}, nil
		})
	f.pub.EXPECT().Publish(ctx, gomock.Any()).DoAndReturn(func(_ context.Context, events ...ports.Event) error {
		want := activity.Recorded{ActivityID: drawn, UserID: "alice", Action: "page.view", Object: "page/home",
			Properties: map[string]string{"ref": "ad"}, SessionID: "s1", At: t0}
		if len(events) != 1 || !reflect.DeepEqual(events[0], want) {
			t.Errorf("published %+v, want %+v", events, want)
		}
		return nil
	})
	if _, err := f.svc.Record(ctx, in); err != nil {
		t.Fatal(err)
	}
}

func TestRecordRunsTheDetectorAndPublishesItsFinding(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	d := activity.DefaultPolicy().DetectorFor(activity.ActionLoginFailed)
	det := &activity.Detection{Detector: d.Name, UserID: "bob", Action: activity.ActionLoginFailed, Count: 5,
		Window: d.Window, FirstAt: t0, LastAt: t0.Add(time.Minute)}
	f.store.EXPECT().Record(ctx, gomock.Any(), true, d).Return(activity.Stored{
		Activity: activity.Activity{ID: "k1", UserID: "bob", Action: activity.ActionLoginFailed, At: t0.Add(time.Minute)}, Detection: det}, nil)
	f.pub.EXPECT().Publish(ctx, gomock.Any(), activity.PatternDetected{Detector: "failed_logins", UserID: "bob",
		Action: activity.ActionLoginFailed, Count: 5, WindowSeconds: int64(d.Window / time.Second), FirstAt: t0,
		LastAt: t0.Add(time.Minute)}).Return(nil)
	if _, err := f.svc.Record(ctx, activity.NewActivity{ID: "k1", UserID: "bob", Action: activity.ActionLoginFailed}); err != nil {
		t.Fatal(err)
	}
}

func TestRecordWithTheBusDown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	errBus := errors.New("bus down")
	f.store.EXPECT().Record(ctx, gomock.Any(), true, nil).Return(activity.Stored{Activity: activity.Activity{ID: "k", UserID: "u", Action: "a"}}, nil)
	f.pub.EXPECT().Publish(ctx, gomock.Any()).Return(errBus)
	s, err := f.svc.Record(ctx, activity.NewActivity{ID: "k", UserID: "u", Action: "a"})
	if !errors.Is(err, activityapp.ErrEventNotPublished) || !errors.Is(err, errBus) || s.Activity.ID != "k" {
		t.Errorf("Record = %+v, %v", s, err)
	}
}

func TestBadInputNeverReachesTheStore(t *testing.T) {
	f := newFixture(t) // no expectations: any store or bus call fails the test
	ctx := context.Background()
	for _, in := range []activity.NewActivity{
		{UserID: "a:b", Action: "x"}, {UserID: "{u}", Action: "x"}, {UserID: "u*", Action: "x"},
		{UserID: "u", Action: "X"}, {UserID: "u", Action: "x", ID: "i:d"}, {UserID: "u", Action: "x", SessionID: "*"},
	} {
		if _, err := f.svc.Record(ctx, in); !errors.Is(err, activity.ErrInvalid) {
			t.Errorf("Record(%+v) = %v", in, err)
		}
	}
	if _, err := f.svc.Feed(ctx, "u", "not-a-cursor", 0); !errors.Is(err, activity.ErrInvalid) {
		t.Errorf("Feed with a bad cursor = %v", err)
	}
	if _, err := f.svc.Feed(ctx, "u:x", "", 0); !errors.Is(err, activity.ErrInvalid) {
		t.Errorf("Feed of a bad user = %v", err)
	}
	if _, err := f.svc.Global(ctx, "", 5000); !errors.Is(err, activity.ErrInvalid) {
		t.Errorf("Global with a huge limit = %v", err)
	}
	if _, err := f.svc.Replay(ctx, "u", "s}", "", 0); !errors.Is(err, activity.ErrInvalid) {
		t.Errorf("Replay of a bad session = %v", err)
	}
	if _, err := f.svc.Funnel(ctx, activity.Funnel{Steps: []string{"a"}, Within: time.Hour, From: t0, To: t0.Add(time.Hour)}); !errors.Is(err, activity.ErrInvalid) {
		t.Errorf("Funnel of one step = %v", err)
	}
}

func TestFunnelReadsPagesUntilTheEnd(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	fn := activity.Funnel{Steps: []string{"view", "buy"}, Within: time.Hour, From: t0, To: t0.Add(24 * time.Hour)}
	end := fn.To.Add(fn.Within)
	page := func(next string, acts ...activity.Activity) activity.Page {
		return activity.Page{Items: acts, Next: next}
	}
	act := func(user, action string, min int) activity.Activity {
		return activity.Activity{UserID: user, Action: action, At: t0.Add(time.Duration(min) * time.Minute)}
	}
	gomock.InOrder(
		f.store.EXPECT().Range(ctx, fn.From, end, "", activityapp.FunnelPage).Return(
			page("c1", act("a", "view", 1), act("b", "view", 2)), nil),
		f.store.EXPECT().Range(ctx, fn.From, end, "c1", activityapp.FunnelPage).Return(
			page("c2", act("a", "buy", 3)), nil),
		f.store.EXPECT().Range(ctx, fn.From, end, "c2", activityapp.FunnelPage).Return(page(""), nil),
	)
	r, err := f.svc.Funnel(ctx, fn)
	if err != nil || !reflect.DeepEqual(r.Users, []int64{2, 1}) || r.Scanned != 3 || r.Truncated {
		t.Errorf("Funnel = %+v, %v", r, err)
	}
}

func envelope(t *testing.T, id string, ev ports.Event) ports.Envelope {
	t.Helper()
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return ports.Envelope{ID: id, Name: ev.EventName(), Version: ev.EventVersion(), OccurredAt: t0, Payload: raw}
}

func TestCartMergedHandler(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	h := activityapp.CartMergedHandler(f.svc)
	if h.Name != activityapp.CartMergedHandlerName || h.Event != "cart.merged" || h.FanOut {
		t.Errorf("handler = %+v, want a consumer group on cart.merged", h)
	}
	merged := cart.Merged{UserID: "carol", GuestCartID: "g-7", LinesMerged: 3, Policy: "sum", MergedAt: t0}
	f.store.EXPECT().Record(ctx, activity.NewActivity{ID: "evt-1", UserID: "carol", Action: activity.ActionCartMerged,
		Object: "cart/g-7", Properties: map[string]string{"guest_cart_id": "g-7", "lines_merged": "3", "policy": "sum",
			"merged_at": t0.Format(time.RFC3339Nano)}}, true, nil).
		Return(activity.Stored{Activity: activity.Activity{ID: "evt-1", UserID: "carol", Action: activity.ActionCartMerged}}, nil)
	f.pub.EXPECT().Publish(ctx, gomock.Any()).Return(nil)
	if err := h.Handle(ctx, envelope(t, "evt-1", merged)); err != nil {
		t.Fatal(err)
	}
	for name, payload := range map[string]string{"not JSON": `{`, "bad user": `{"user_id":"a:b","guest_cart_id":"g"}`} {
		env := envelope(t, "evt-2", merged)
		env.Payload = []byte(payload)
		if err := h.Handle(ctx, env); err == nil {
			t.Errorf("%s: handled without error", name)
		}
	}
}
