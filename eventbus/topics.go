package eventbus

// Topic is the stream key of an event name: "<prefix>.evt.<name>", e.g. "statekit.evt.session.created".
// The ".evt." part keeps bus streams apart from the streams module's user streams.
func Topic(prefix, event string) string { return prefix + ".evt." + event }

// DeadLetterTopic is the stream that receives events whose handler kept failing, with the reason.
func DeadLetterTopic(prefix string) string { return prefix + ".evt.dead_letter" }

// Group is the consumer group of a handler: "<prefix>.<handler name>".
func Group(prefix, handler string) string { return prefix + "." + handler }
