package async

import (
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// Origins (where a task's function was written, and the frames of creation
// stacks) name files by where they are in their module, not on the disk of
// the machine that built the program: "fetch/run.go:88" for a file of the
// main module, "golang.org/x/sync/errgroup/errgroup.go:70" for one of
// another module or of the standard library. The build directory says
// nothing to a reader, differs from one machine to the next, and made the
// ps form's rows wrap.

// mainModule returns the main module's path and the main package's import
// path, read once from the build information ("" where there is none).
var mainModule = sync.OnceValues(func() (module, pkg string) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		return bi.Main.Path, strings.TrimSuffix(bi.Path, ".test")
	}
	return "", ""
})

// funcPackage returns the import path of the package of the function named
// fn as the runtime names it ("example.com/m/pkg.(*T).Method.func1"; a dot
// in the path's last element is written %2e there).
func funcPackage(fn string) string {
	slash := strings.LastIndexByte(fn, '/')
	dot := strings.IndexByte(fn[slash+1:], '.')
	if dot < 0 {
		return ""
	}
	return strings.ReplaceAll(fn[:slash+1+dot], "%2e", ".")
}

// relativeFile returns file, which holds function fn, named by its import
// path and base name, relative to the main module for the main module's
// files; line is appended.
func relativeFile(fn, file string, line int) string {
	module, mainPkg := mainModule()
	pkg := strings.TrimSuffix(funcPackage(fn), "_test")
	if pkg == "main" {
		pkg = mainPkg
	}
	var rel string
	if pkg != "" && pkg != "main" {
		// A function is compiled from a file of its package's directory:
		// name the file by the package's import path.
		rel = pkg + "/" + path.Base(file)
	} else {
		// A package main without build information: the file's last two
		// elements.
		rel = path.Base(path.Dir(file)) + "/" + path.Base(file)
	}
	if module != "" && strings.HasPrefix(rel, module+"/") {
		rel = rel[len(module)+1:]
	}
	return rel + ":" + strconv.Itoa(line)
}

// shortFunc returns a function's name without the path of its package:
// "fetch.(*Fetcher).Run.func2" for "github.com/asyncgo/async/fetch.(*Fetcher).Run.func2".
func shortFunc(fn string) string {
	return strings.ReplaceAll(fn[strings.LastIndexByte(fn, '/')+1:], "%2e", ".")
}
