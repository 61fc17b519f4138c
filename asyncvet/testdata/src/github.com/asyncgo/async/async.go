// Package async is a stub of github.com/asyncgo/async with the shapes the
// checks rely on; the tests do not depend on the real package's API.
package async

import (
	"context"
	"iter"
	"time"
)

type Task[T any] struct{ v T }

func (t *Task[T]) Await(ctx context.Context) (T, error) { return t.v, nil }

type Future[T any] struct{ Task[T] }

type Group struct{}

type TaskOption interface{ task() }

type Result[T any] struct {
	Value T
	Err   error
}

type TimeoutScope struct{}

func Spawn[T any](ctx context.Context, fn func(context.Context) (T, error), opts ...TaskOption) *Task[T] {
	return nil
}

func Shield[T any](ctx context.Context, t *Task[T], opts ...TaskOption) *Task[T] { return nil }

func NewFuture[T any](ctx context.Context, opts ...TaskOption) *Future[T] { return nil }

func WithGroup(ctx context.Context, body func(ctx context.Context, g *Group) error) error { return nil }

func Run(ctx context.Context, main func(ctx context.Context) error) error { return nil }

func Go[T any](g *Group, fn func(context.Context) (T, error), opts ...TaskOption) *Task[T] {
	return nil
}

func (g *Group) Go(fn func(ctx context.Context) error, opts ...TaskOption) *Task[struct{}] {
	return nil
}

func Submit[T any](ctx context.Context, g *Group, fn func(context.Context) (T, error), opts ...TaskOption) (*Task[T], error) {
	return nil, nil
}

func (g *Group) Submit(ctx context.Context, fn func(ctx context.Context) error, opts ...TaskOption) (*Task[struct{}], error) {
	return nil, nil
}

func TryGo[T any](g *Group, fn func(context.Context) (T, error), opts ...TaskOption) (*Task[T], bool) {
	return nil, false
}

func Map[In, Out any](ctx context.Context, items []In, fn func(context.Context, In) (Out, error)) ([]Out, error) {
	return nil, nil
}

func GatherFunc[T any](ctx context.Context, fns []func(context.Context) (T, error)) ([]T, error) {
	return nil, nil
}

func Stream[In, Out any](ctx context.Context, items iter.Seq[In], fn func(context.Context, In) (Out, error)) iter.Seq2[int, Result[Out]] {
	return nil
}

func NewTimeout(ctx context.Context, d time.Duration) (context.Context, *TimeoutScope) {
	return ctx, nil
}
