package async

// Option configures a task, a group or a fan-out function. Each function
// documents the options it honours.
type Option func(*config)

type config struct {
	name       string
	limit      int
	backlog    int // with hasBacklog
	hasBacklog bool
	join       JoinPolicy
}

// WithName names a task, a group or a timeout scope. Names appear in errors,
// in [TaskError] and in the task tree. Without it tasks are called "Task-N"
// and groups "Group-N", with N unique in the process.
func WithName(name string) Option { return func(c *config) { c.name = name } }

// WithLimit caps how many of a group's (or Map's) tasks run at once. Tasks
// added beyond the limit wait, in the order they were added, in state
// [Pending]; adding never blocks. n <= 0 means no limit.
func WithLimit(n int) Option { return func(c *config) { c.limit = n } }

// WithBacklog bounds how much work waits beyond the limit. For a group
// ([WithGroup]): how many tasks may be queued before [Submit] waits and
// [TryGo] refuses (without it, the queue is unbounded and they never do).
// For [Stream]: how many items it holds beyond its limit, queued or
// finished and waiting for an earlier one to be yielded (the default is
// the limit). n < 0 counts as 0.
func WithBacklog(n int) Option {
	return func(c *config) { c.backlog, c.hasBacklog = max(n, 0), true }
}

func buildConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}
