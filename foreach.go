package async

import "context"

// ForEach calls fn for every element of items, concurrently, at most
// [WithLimit] at a time, with a pointer to the element so that fn may
// update it in place (conc's iter.ForEach). It follows [Map]'s rules: the
// first failure cancels the calls still running and keeps the rest from
// starting, ForEach returns after every call has ended, and its error is
// the first failure's, an [*IndexError] with the element's index; a
// [WithJoin] policy replaces that rule as in Map. A panic in fn is that
// call's [*PanicError], never a crash.
//
// Options: [WithLimit], [WithName], [WithJoin].
func ForEach[T any](ctx context.Context, items []T, fn func(context.Context, *T) error, opts ...FanOutOption) error {
	return ForEachIdx(ctx, items, func(ctx context.Context, _ int, item *T) error { return fn(ctx, item) }, opts...)
}

// ForEachIdx is [ForEach] whose fn also receives the element's index
// (conc's iter.ForEachIdx).
//
// Options: [WithLimit], [WithName], [WithJoin].
func ForEachIdx[T any](ctx context.Context, items []T, fn func(ctx context.Context, i int, item *T) error, opts ...FanOutOption) error {
	_, err := fanOut(ctx, "item", len(items), func(ctx context.Context, i int) (struct{}, error) {
		return struct{}{}, fn(ctx, i, &items[i])
	}, configOf(opts, FanOutOption.applyFanOut))
	return err
}
