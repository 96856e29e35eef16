// Package contract is the module contract's Go side: the helpers a module's fx module uses to contribute
// to the value groups named in ports (routes, problems, OpenAPI fragments, settings, scopes, readiness
// checks, metrics collectors, event handlers, job handlers, periodic jobs), and the one environment reader
// every module's settings are parsed through. Built-in modules and a company's own modules use exactly
// this; nothing here knows any module.
package contract

import (
	"go.uber.org/fx"
)

// Provide adds what constructor returns to the value group (a ports.Group... constant). anns are further
// annotations of the constructor, such as fx.ParamTags for optional dependencies:
//
//	contract.Provide(ports.GroupRoutes, func(h *Handlers) []httpapi.Route { return h.Routes() })
func Provide(group string, constructor any, anns ...fx.Annotation) fx.Option {
	anns = append(anns, fx.ResultTags(`group:"`+group+`"`))
	return fx.Provide(fx.Annotate(constructor, anns...))
}

// Supply adds a fixed value to the value group:
//
//	contract.Supply(ports.GroupProblems, problems)
func Supply[T any](group string, value T) fx.Option {
	return Provide(group, func() T { return value })
}
