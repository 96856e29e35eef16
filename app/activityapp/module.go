package activityapp

import (
	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// Module provides the activity Service and adds the cart.merged handler to the bus. It needs a
// ports.ActivityStore, a ports.EventPublisher and an activity.Policy from the graph.
var Module = fx.Module("activityapp",
	fx.Provide(NewService),
	contract.Provide(ports.GroupEventHandlers, CartMergedHandler),
)
