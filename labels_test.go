package async_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/asyncgo/async"
)

// TestProfileLabelsNameEachTask: with WithProfileLabels, the goroutine
// profile names the task each goroutine runs (name, id and group), the
// task's context carries the labels, and pprof.Do inside a task adds to
// them; without it, no goroutine carries them.
func TestProfileLabelsNameEachTask(t *testing.T) {
	profile := func(opts ...async.RunOption) (text string, inTask map[string]string, done []uint64) {
		release := make(chan struct{})
		inTask = map[string]string{}
		err := async.Run(context.Background(), func(ctx context.Context) error {
			return async.WithGroup(ctx, func(ctx context.Context, g *async.Group) error {
				started := make(chan struct{}, 2)
				a := async.Go(g, func(ctx context.Context) (int, error) {
					for _, k := range []string{"async.task", "async.id", "async.group"} {
						v, _ := pprof.Label(ctx, k)
						inTask[k] = v
					}
					pprof.Do(ctx, pprof.Labels("step", "download"), func(ctx context.Context) {
						v, _ := pprof.Label(ctx, "async.task")
						inTask["under pprof.Do"] = v
						started <- struct{}{}
						<-release
					})
					return 0, nil
				}, async.WithName("alpha"))
				b := async.Spawn(ctx, func(ctx context.Context) (int, error) {
					started <- struct{}{}
					<-release
					return 0, nil
				}, async.WithName("beta"))
				<-started
				<-started
				var buf bytes.Buffer
				pprof.Lookup("goroutine").WriteTo(&buf, 1)
				text = buf.String()
				done = []uint64{a.ID(), b.ID()}
				close(release)
				return nil
			}, async.WithName("crawlers"))
		}, append(opts, async.WithSignals(nil))...)
		if err != nil {
			t.Fatal(err)
		}
		return text, inTask, done
	}

	text, inTask, ids := profile(async.WithProfileLabels())
	for _, want := range []string{
		`# labels: {"async.group":"crawlers", "async.id":"` + itoa(ids[0]) + `", "async.task":"alpha", "step":"download"}`,
		`# labels: {"async.group":"crawlers", "async.id":"` + itoa(ids[1]) + `", "async.task":"beta"}`,
		`"async.task":"main"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the goroutine profile lacks %s:\n%s", want, text)
		}
	}
	if inTask["async.task"] != "alpha" || inTask["async.id"] != itoa(ids[0]) || inTask["async.group"] != "crawlers" || inTask["under pprof.Do"] != "alpha" {
		t.Errorf("labels seen from the task's context: %v", inTask)
	}

	text, inTask, ids = profile()
	// The first run's goroutines may still be on their way out, with their
	// labels: only this run's tasks, by their numbers, are looked for.
	if strings.Contains(text, `"async.id":"`+itoa(ids[0])+`"`) || strings.Contains(text, `"async.id":"`+itoa(ids[1])+`"`) || inTask["async.task"] != "" {
		t.Errorf("without the option, labels were added: %v\n%s", inTask, text)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

//go:noinline
func spinAlpha(stop <-chan struct{}) int { return spin(stop) }

//go:noinline
func spinBeta(stop <-chan struct{}) int { return spin(stop) }

func spin(stop <-chan struct{}) int {
	n := 0
	for {
		select {
		case <-stop:
			return n
		default:
		}
		for i := range 10_000 {
			n += i * i
		}
	}
}

// TestCPUProfileByTask takes a CPU profile of two tasks spinning under
// WithProfileLabels and cuts it with go tool pprof -tagfocus: each task's
// cut holds its own function and not the other's.
func TestCPUProfileByTask(t *testing.T) {
	if testing.Short() {
		t.Skip("spins the CPU for a second")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool pprof is needed: %v", err)
	}
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		t.Skipf("a CPU profile is already running: %v", err)
	}
	err = async.Run(context.Background(), func(ctx context.Context) error {
		stop := make(chan struct{})
		a := async.Spawn(ctx, func(ctx context.Context) (int, error) { return spinAlpha(stop), nil }, async.WithName("spin-alpha"))
		b := async.Spawn(ctx, func(ctx context.Context) (int, error) { return spinBeta(stop), nil }, async.WithName("spin-beta"))
		time.Sleep(time.Second)
		close(stop)
		_, err := async.Gather(ctx, a, b)
		return err
	}, async.WithSignals(nil), async.WithProfileLabels())
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	top := func(task string) string {
		out, err := exec.Command(goTool, "tool", "pprof", "-top", "-nodecount=100", "-tagfocus=async.task="+task, path).CombinedOutput()
		if err != nil {
			t.Fatalf("go tool pprof: %v\n%s", err, out)
		}
		return string(out)
	}
	alpha, beta := top("spin-alpha"), top("spin-beta")
	if !regexp.MustCompile(`spinAlpha`).MatchString(alpha) || strings.Contains(alpha, "spinBeta") {
		t.Errorf("-tagfocus=async.task=spin-alpha:\n%s", alpha)
	}
	if !regexp.MustCompile(`spinBeta`).MatchString(beta) || strings.Contains(beta, "spinAlpha") {
		t.Errorf("-tagfocus=async.task=spin-beta:\n%s", beta)
	}
}
