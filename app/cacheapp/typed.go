package cacheapp

import "context"

// Cache is the cache as a caller that keeps values of one type sees it: the use cases of GetOrLoad, Get,
// Set, Delete and InvalidateNamespace, with the same guarantees. Code that depends on a Cache rather than a
// *Service can be unit-tested with the in-memory cachetest.Fake. Typed returns the real one.
//
// It is generic because the cache is: Go methods cannot take type parameters, so a caller holds one Cache
// per value type, all of them over the same Service (namespaces are shared between them).
type Cache[T any] interface {
	// GetOrLoad is the package function GetOrLoad.
	GetOrLoad(ctx context.Context, ns, key string, load func(context.Context) (T, error), opts ...Option) (T, error)
	// Get is the package function Get.
	Get(ctx context.Context, ns, key string) (T, error)
	// Set is the package function Set.
	Set(ctx context.Context, ns, key string, v T, opts ...Option) error
	// Delete is Service.Delete.
	Delete(ctx context.Context, ns, key string) error
	// InvalidateNamespace is Service.InvalidateNamespace.
	InvalidateNamespace(ctx context.Context, ns string) (int64, error)
}

// Typed returns s as a Cache of values of type T. It costs nothing to make: keep one per type or make one
// per call.
func Typed[T any](s *Service) Cache[T] { return typed[T]{s: s} }

var _ Cache[struct{}] = typed[struct{}]{}

// typed is a Service seen as a Cache[T].
type typed[T any] struct{ s *Service }

func (c typed[T]) GetOrLoad(ctx context.Context, ns, key string, load func(context.Context) (T, error), opts ...Option) (T, error) {
	return GetOrLoad(ctx, c.s, ns, key, load, opts...)
}

func (c typed[T]) Get(ctx context.Context, ns, key string) (T, error) {
	return Get[T](ctx, c.s, ns, key)
}

func (c typed[T]) Set(ctx context.Context, ns, key string, v T, opts ...Option) error {
	return Set(ctx, c.s, ns, key, v, opts...)
}

func (c typed[T]) Delete(ctx context.Context, ns, key string) error { return c.s.Delete(ctx, ns, key) }

func (c typed[T]) InvalidateNamespace(ctx context.Context, ns string) (int64, error) {
	return c.s.InvalidateNamespace(ctx, ns)
}
