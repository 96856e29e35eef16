package jobredis

// JobKey, UniqueKey, DoneKey and InboxKey give the tests in package jobredis_test, which inspect Redis
// directly, the key names the store uses, without copying the layout of keys.go.
func JobKey(prefix, queue, id string) string { return newKeys(prefix).job(queue, id) }

// UniqueKey is the key holding a unique key's job id.
func UniqueKey(prefix, queue, key string) string { return newKeys(prefix).unique(queue, key) }

// DoneKey is the queue's sorted set of completed jobs.
func DoneKey(prefix, queue string) string { return newKeys(prefix).done(queue) }

// InboxKey is a worker's inbox list.
func InboxKey(prefix, queue, inbox string) string { return newKeys(prefix).inbox(queue, inbox) }

// ReadyKey is the queue's list of pending jobs of a priority.
func ReadyKey(prefix, queue string, prio int) string { return newKeys(prefix).ready(queue, prio) }
