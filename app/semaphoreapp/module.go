package semaphoreapp

import "go.uber.org/fx"

// Module provides the semaphore Service. It needs a ports.Semaphore and a semaphoreapp.Config from the graph.
var Module = fx.Module("semaphoreapp",
	fx.Provide(NewService),
)
