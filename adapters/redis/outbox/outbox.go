// Package outbox makes statekit's events as durable as the state changes they describe. A Redis script that
// changes an entity appends the change's events to an outbox stream in the entity's hash slot, in the same
// atomic step; the Relay then forwards them to the topic streams the event bus reads and deletes them from
// the outbox. A process that dies between the two leaves the events in the outbox, and another instance's
// sweep forwards them. Delivery is at least once; an event keeps the same envelope id however often it is
// relayed, so consumers dedupe by it.
//
// A module's store uses four things:
//
//	key := ob.For(entityKey)               // the outbox stream in entityKey's slot; add it to the script's KEYS
//	args, err := ob.Args(ctx, events...)  // the outbox block of ARGV: app-built events, correlation id from ctx
//	script := outbox.Script(files, "prelude", "put") // the script with the outbox helpers (lua/outbox.lua)
//	ob.Kick(key)                           // after the script ran: relay that stream now
//
// and the script calls outbox_emit(key, outbox_read(i), now) for the block, or outbox_add for an event whose
// payload it builds itself with cjson.
package outbox

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/statekit/statekit/adapters/redis/luascript"
	"github.com/statekit/statekit/ports"
)

//go:embed lua/*.lua
var luaFS embed.FS

var luaFiles = luascript.New(luaFS, "lua")

// Lua is the text of the outbox helpers a module's script includes (outbox_read, outbox_now, outbox_add,
// outbox_emit); Script puts it in place for a module built with luascript.
var Lua = luaFiles.Read("outbox")

// Script is a module's script with the outbox helpers: Lua, then the module's prelude (with the shared
// helpers its Files take, luascript.Files.Prelude), then the named file (or the preludes at the file's
// luascript.Mark line).
func Script(files luascript.Files, prelude, name string) *redis.Script {
	return redis.NewScript(luascript.Join(Lua+"\n"+files.Prelude(prelude), files.Read(name)))
}

// Outbox names the outbox streams, builds the ARGV that carries events into a script, and takes the kicks
// that tell the Relay which streams to relay now. One per process, shared by every store.
type Outbox struct {
	prefix  string
	cluster bool
	maxLen  int64

	mu      sync.Mutex
	pending map[string]bool // streams kicked and not yet taken by a relay worker
	order   []string        // the same streams, in kick order
	signal  chan struct{}   // holds a token while pending is not empty
}

// New returns the outbox for keys starting with prefix. client only tells the mode: on a Redis Cluster
// (a *redis.ClusterClient) there is one outbox stream per hash slot; otherwise one stream serves everything.
func New(client redis.UniversalClient, prefix string, cfg Config) *Outbox {
	_, cluster := client.(*redis.ClusterClient)
	if cluster {
		slotTags() // build the table now rather than inside the first request
	}
	return &Outbox{prefix: prefix, cluster: cluster, maxLen: cfg.MaxLen, pending: map[string]bool{},
		signal: make(chan struct{}, 1)}
}

// For is the outbox stream in the hash slot of entityKey (Redis's hash-tag rule applies): a script that
// writes entityKey can append to it atomically, on a cluster too. "<prefix>:outbox:{<tag>}" on a cluster,
// "<prefix>:outbox" otherwise.
func (o *Outbox) For(entityKey string) string {
	if !o.cluster {
		return o.prefix + ":outbox"
	}
	return o.prefix + ":outbox:{" + slotTags()[Slot(entityKey)] + "}"
}

// Keys is every outbox stream: one per hash slot on a cluster (16,384), else one.
func (o *Outbox) Keys() []string {
	if !o.cluster {
		return []string{o.prefix + ":outbox"}
	}
	keys := make([]string, SlotCount)
	for slot, tag := range slotTags() {
		keys[slot] = o.prefix + ":outbox:{" + tag + "}"
	}
	return keys
}

// Args is the outbox block a script reads with outbox_read: MAXLEN, the correlation id from ctx, the number
// of events, then each event's name, version and JSON payload. A script with no app-built events still
// passes a block (Args(ctx)) when it may append events it builds itself.
func (o *Outbox) Args(ctx context.Context, events ...ports.Event) ([]any, error) {
	args := make([]any, 0, 3+3*len(events))
	args = append(args, o.maxLen, ports.CorrelationID(ctx), len(events))
	for _, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", e.EventName(), err)
		}
		args = append(args, e.EventName(), e.EventVersion(), string(payload))
	}
	return args, nil
}

// Kick asks the relay to forward what the outbox stream key holds now. Kicks of a stream not yet taken by a
// worker coalesce into one; a process with no running relay only remembers them (at most one per stream),
// and the sweep of some instance forwards the events.
func (o *Outbox) Kick(key string) {
	o.mu.Lock()
	if !o.pending[key] {
		o.pending[key] = true
		o.order = append(o.order, key)
	}
	o.mu.Unlock()
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

// take removes and returns the oldest kicked stream, or "" when none is pending.
func (o *Outbox) take() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.order) == 0 {
		return ""
	}
	key := o.order[0]
	o.order = o.order[1:]
	delete(o.pending, key)
	if len(o.order) > 0 {
		select {
		case o.signal <- struct{}{}: // wake another worker for the rest
		default:
		}
	}
	return key
}

// shard names an outbox stream inside envelope ids: its slot tag on a cluster, "0" for the one stream.
func shard(key string) string {
	if open := strings.IndexByte(key, '{'); open >= 0 {
		return strings.TrimSuffix(key[open+1:], "}")
	}
	return "0"
}
