package async_test

import (
	"os"
	"reflect"
	"testing"

	"github.com/asyncgo/async"
)

// Every option belongs to exactly the families that honour it, so that the
// compiler rejects the rest: async.Spawn(ctx, fn, async.WithLimit(2)) does
// not compile. (A compile failure cannot be a test case; the families an
// option's type implements can.)
func TestOptionFamilies(t *testing.T) {
	families := map[string]reflect.Type{
		"task":    reflect.TypeFor[async.TaskOption](),
		"group":   reflect.TypeFor[async.GroupOption](),
		"fan-out": reflect.TypeFor[async.FanOutOption](),
		"stream":  reflect.TypeFor[async.StreamOption](),
		"timeout": reflect.TypeFor[async.TimeoutOption](),
		"run":     reflect.TypeFor[async.RunOption](),
	}
	all := []string{"task", "group", "fan-out", "stream", "timeout", "run"}
	for _, c := range []struct {
		name string
		opt  any
		in   []string
	}{
		{"WithName", async.WithName("x"), all},
		{"WithLimit", async.WithLimit(2), []string{"group", "fan-out", "stream"}},
		{"WithBacklog", async.WithBacklog(2), []string{"group", "stream"}},
		{"WithJoin", async.WithJoin(async.CollectAll()), []string{"group", "fan-out"}},
		{"WithGracePeriod", async.WithGracePeriod(0), []string{"run"}},
		{"WithSignals", async.WithSignals(make(chan os.Signal)), []string{"run"}},
		{"WithTracing", async.WithTracing(), []string{"run"}},
	} {
		typ := reflect.TypeOf(c.opt)
		for _, fam := range all {
			want := false
			for _, f := range c.in {
				want = want || f == fam
			}
			if got := typ.Implements(families[fam]); got != want {
				t.Errorf("%s is a %s option: %v, want %v", c.name, fam, got, want)
			}
		}
	}
}
