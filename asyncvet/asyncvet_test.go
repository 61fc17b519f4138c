package asyncvet_test

import (
	"testing"

	"github.com/asyncgo/async/asyncvet"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestTaskCtx(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), asyncvet.TaskCtx, "taskctx")
}

func TestGroupCtx(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), asyncvet.GroupCtx, "groupctx")
}

func TestLostCtx(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), asyncvet.LostCtx, "lostctx")
}

func TestDroppedTask(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), asyncvet.DroppedTask, "droppedtask")
}
