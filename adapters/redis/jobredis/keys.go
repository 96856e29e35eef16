package jobredis

import "strconv"

// Key layout. Every key of one queue shares the hash tag {<queue>}, so every script touches one slot and
// the module works on Redis Cluster; the registry of queue names is the one key outside any queue.
//
//	<prefix>:job:queues                    set: every queue name ever used
//	<prefix>:job:{<q>}:j:<id>              hash: one job
//	<prefix>:job:{<q>}:ready:<0-9>         list per priority: pending job ids, oldest first
//	<prefix>:job:{<q>}:scheduled           sorted set: id -> due ms (delayed jobs)
//	<prefix>:job:{<q>}:retry               sorted set: id -> due ms (failed jobs waiting for their backoff)
//	<prefix>:job:{<q>}:active              sorted set: id -> lease expiry ms
//	<prefix>:job:{<q>}:dead                sorted set: id -> dead-lettered ms
//	<prefix>:job:{<q>}:done                sorted set: id -> completed ms (only while retention keeps them)
//	<prefix>:job:{<q>}:wake                list: at most one wake-up token for idle workers (BLPOP)
//	<prefix>:job:{<q>}:idle                sorted set: inbox id of an idle worker -> registration expiry ms
//	<prefix>:job:{<q>}:idlers              hash: inbox id -> "<lease ms> <grace ms> <worker name>"
//	<prefix>:job:{<q>}:inbox:<inbox id>    list: jobs handed (leased) to that worker, NUL-joined rows (PX 60 s)
//	<prefix>:job:{<q>}:paused              string: present while the queue is paused
//	<prefix>:job:{<q>}:stats               hash: done, failed totals
//	<prefix>:job:{<q>}:m:<unix minute>     hash: done, failed in that minute (expires after 10 minutes)
//	<prefix>:job:{<q>}:u:<unique key>      string: id of the job holding the key (PX = unique ttl)
//	<prefix>:job:{<q>}:cron:<name>         string: the last tick (ms) a periodic schedule enqueued
//
// Queue names, job ids, unique keys and periodic names are validated by the domain (no ':', '{', '}', '*')
// before they reach a key.
type keys struct {
	root string // "<prefix>:job"
}

func newKeys(prefix string) keys { return keys{root: prefix + ":job"} }

func (k keys) queues() string { return k.root + ":queues" }

// base is the prefix of every key of a queue; scripts build job, ready-list, unique, minute and cron keys
// from it (all in the queue's slot).
func (k keys) base(q string) string { return k.root + ":{" + q + "}:" }

func (k keys) job(q, id string) string { return k.base(q) + "j:" + id }

func (k keys) ready(q string, prio int) string { return k.base(q) + "ready:" + strconv.Itoa(prio) }

func (k keys) scheduled(q string) string { return k.base(q) + "scheduled" }

func (k keys) active(q string) string { return k.base(q) + "active" }

func (k keys) dead(q string) string { return k.base(q) + "dead" }

func (k keys) done(q string) string { return k.base(q) + "done" }

func (k keys) wake(q string) string { return k.base(q) + "wake" }

func (k keys) inbox(q, id string) string { return k.base(q) + "inbox:" + id }

func (k keys) paused(q string) string { return k.base(q) + "paused" }

func (k keys) stats(q string) string { return k.base(q) + "stats" }

func (k keys) unique(q, key string) string { return k.base(q) + "u:" + key }

func (k keys) cron(q, name string) string { return k.base(q) + "cron:" + name }
