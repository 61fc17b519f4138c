package async

// Options come in families, one per kind of call, and each option belongs
// to the families that honour it, so the compiler refuses an option where
// it would mean nothing: async.Spawn(ctx, fn, async.WithLimit(2)) does not
// compile, since a single task has no limit. WithName belongs to every
// family: everything has a name.
//
//	option          task  group  Map, GatherFunc  Stream  timeout  Run
//	WithName         ✓     ✓          ✓             ✓        ✓      ✓
//	WithLimit              ✓          ✓             ✓
//	WithBacklog            ✓                        ✓
//	WithJoin               ✓          ✓
//	WithErroredValues                 ✓
//	WithTimes        ✓
//	WithGracePeriod, WithSignals, WithExit, WithTracing,
//	WithCreationStacks                                                ✓

// TaskOption configures one task: [Spawn], [Go], [Group.Go], [Submit],
// [TryGo], [Shield], [NewFuture]. [WithName] is one.
type TaskOption interface{ applyTask(*config) }

// GroupOption configures [WithGroup]: [WithName], [WithLimit],
// [WithBacklog], [WithJoin].
type GroupOption interface{ applyGroup(*config) }

// FanOutOption configures [Map], [GatherFunc], [ForEach] and [ForEachIdx]:
// [WithName] (the group the calls run in), [WithLimit], [WithJoin],
// [WithErroredValues].
type FanOutOption interface{ applyFanOut(*config) }

// StreamOption configures [Stream]: [WithName], [WithLimit], [WithBacklog].
type StreamOption interface{ applyStream(*config) }

// TimeoutOption configures [Timeout], [NewTimeout] and [NewTimeoutAt]:
// [WithName].
type TimeoutOption interface{ applyTimeout(*config) }

// RunOption configures [Run]: [WithName] (the scope), [WithGracePeriod],
// [WithSignals], [WithExit], [WithTracing], [WithCreationStacks].
type RunOption interface{ applyRun(*runConfig) }

type config struct {
	name       string
	limit      int
	backlog    int // with hasBacklog
	hasBacklog bool
	join       JoinPolicy
	errored    bool // keep the value a failed call returned (WithErroredValues)
}

// NameOption is the option [WithName] returns; it is an option of every
// family.
type NameOption struct{ name string }

// WithName names a task, a group, a fan-out's group, a stream's group, a
// timeout scope or a [Run] scope. Names appear in errors, in [TaskError]
// and in the task tree. Without it tasks are called "Task-N", groups
// "Group-N" and scopes "Scope-N", with N unique in the process; Run's main
// task is always "main".
func WithName(name string) NameOption { return NameOption{name} }

func (o NameOption) applyTask(c *config)    { c.name = o.name }
func (o NameOption) applyGroup(c *config)   { c.name = o.name }
func (o NameOption) applyFanOut(c *config)  { c.name = o.name }
func (o NameOption) applyStream(c *config)  { c.name = o.name }
func (o NameOption) applyTimeout(c *config) { c.name = o.name }
func (o NameOption) applyRun(c *runConfig)  { c.name = o.name }

// LimitOption is the option [WithLimit] returns: for groups, [Map],
// [GatherFunc] and [Stream].
type LimitOption struct{ n int }

// WithLimit caps how many of a group's (or Map's, or Stream's) tasks run
// at once. Tasks added beyond the limit wait, in the order they were added,
// in state [Pending]. n <= 0 means no limit.
func WithLimit(n int) LimitOption { return LimitOption{n} }

func (o LimitOption) applyGroup(c *config)  { c.limit = o.n }
func (o LimitOption) applyFanOut(c *config) { c.limit = o.n }
func (o LimitOption) applyStream(c *config) { c.limit = o.n }

// BacklogOption is the option [WithBacklog] returns: for groups and
// [Stream].
type BacklogOption struct{ n int }

// WithBacklog bounds how much work waits beyond the limit. For a group
// ([WithGroup]): how many tasks may be queued before [Submit] waits and
// [TryGo] refuses (without it, the queue is unbounded and they never do).
// For [Stream]: how many items it holds beyond its limit, queued or
// finished and waiting for an earlier one to be yielded (the default is
// the limit). n < 0 counts as 0.
func WithBacklog(n int) BacklogOption { return BacklogOption{max(n, 0)} }

func (o BacklogOption) applyGroup(c *config)  { c.backlog, c.hasBacklog = o.n, true }
func (o BacklogOption) applyStream(c *config) { c.backlog, c.hasBacklog = o.n, true }

// JoinOption is the option [WithJoin] returns: for groups, [Map] and
// [GatherFunc].
type JoinOption struct{ p JoinPolicy }

// WithJoin sets the join policy (see [JoinPolicy]) of a group, or of the
// calls of [Map] and [GatherFunc], which honour any policy; the default is
// [FailFast].
func WithJoin(p JoinPolicy) JoinOption { return JoinOption{p} }

func (o JoinOption) applyGroup(c *config)  { c.join = o.p }
func (o JoinOption) applyFanOut(c *config) { c.join = o.p }

// TimesOption is the option [WithTimes] returns: for tasks.
type TimesOption struct{}

// WithTimes makes a task record exactly when its function is entered and
// when it ends, for [Task.StartTime] and [Task.EndTime]. Other tasks do not
// record them, since the two reads of the clock are a noticeable part of
// what a short task costs, except those of a [Run] scope, which record
// them to within about a millisecond from their scope's clock; with this
// option such a task records them exactly too.
func WithTimes() TimesOption { return TimesOption{} }

func (TimesOption) applyTask(*config) {}

// ErroredValuesOption is the option [WithErroredValues] returns: for [Map]
// and [GatherFunc].
type ErroredValuesOption struct{}

// WithErroredValues makes [Map] and [GatherFunc] keep, at its index, the
// value a call returned along with its error (conc's WithCollectErrored),
// for functions whose partial result means something: the bytes read
// before a connection broke, the rows parsed before a bad one. Without it a
// call that failed leaves the zero value, as a failed task has no result. A
// call that panicked, or was never made, leaves the zero value either way.
func WithErroredValues() ErroredValuesOption { return ErroredValuesOption{} }

func (ErroredValuesOption) applyFanOut(c *config) { c.errored = true }

// runOptionFunc is a RunOption of Run's alone.
type runOptionFunc func(*runConfig)

func (f runOptionFunc) applyRun(c *runConfig) { f(c) }

// nameOf returns the name that opts give (the last WithName), or "". It is
// how tasks and timeouts, whose only option is WithName, read their options:
// a type assertion rather than a method call lets the option stay on the
// caller's stack, so naming a task costs no allocation.
func nameOf[O any](opts []O) string {
	name := ""
	for _, o := range opts {
		if n, ok := any(o).(NameOption); ok {
			name = n.name
		}
	}
	return name
}

// taskOptions returns what opts give a task: the name of the last
// WithName, or "", and whether WithTimes is among them. Like nameOf it reads
// the options by type assertion, so that they cost no allocation.
func taskOptions(opts []TaskOption) (name string, timed bool) {
	for _, o := range opts {
		switch o := o.(type) {
		case NameOption:
			name = o.name
		case TimesOption:
			timed = true
		}
	}
	return name, timed
}

// configOf applies opts, skipping nil ones, with apply: one of the family
// methods (GroupOption.applyGroup, FanOutOption.applyFanOut, ...).
func configOf[O any](opts []O, apply func(O, *config)) config {
	var c config
	for _, o := range opts {
		if any(o) != nil {
			apply(o, &c)
		}
	}
	return c
}
