package ratelimitapp

import "go.uber.org/fx"

// Module provides the rate-limiting Service. It needs a ports.RateLimiter, a ports.EventPublisher, a
// ports.RateLimitMetrics and a Config from the graph.
var Module = fx.Module("ratelimitapp",
	fx.Provide(NewService),
)
