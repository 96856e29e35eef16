package activityapp

import (
	"go.uber.org/fx"
)

// Module provides the activity Service and adds the cart.merged handler to the bus. It needs a
// ports.ActivityStore, a ports.EventPublisher and an activity.Policy from the graph.
var Module = fx.Module("activityapp",
	fx.Provide(
		NewService,
		fx.Annotate(CartMergedHandler, fx.ResultTags(`group:"event_handlers"`)),
	),
)
