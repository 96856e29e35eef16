package cartapp

import (
	"go.uber.org/fx"

	"github.com/statekit/statekit/app/contract"
	"github.com/statekit/statekit/ports"
)

// Module provides the cart Service and adds its session.created handler to the bus's handlers. It needs a
// ports.CartStore, a ports.Inventory, a ports.EventPublisher and a cart.Policy from the graph.
var Module = fx.Module("cartapp",
	fx.Provide(NewService),
	contract.Provide(ports.GroupEventHandlers, func(s *Service) ports.EventHandler { return s.MergeHandler() }),
)
