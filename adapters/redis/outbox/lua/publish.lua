-- publish: appends the events of an outbox block to one outbox stream.
-- KEYS[1] the outbox stream   ARGV the outbox block (outbox.Args)
-- Returns the number of events appended.
return outbox_emit(KEYS[1], outbox_read(1), outbox_now())
