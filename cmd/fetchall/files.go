package main

import (
	"errors"
	"os"
	"path/filepath"

	"github.com/asyncgo/async/fetch"
)

// Files are compared by identity (device and inode, through os.SameFile),
// never by name: ./out.jsonl, out.jsonl, a symbolic link and a hard link to
// it are all the same checkpoint.

// openedFile is a file named on the command line with what it is on disk.
type openedFile struct {
	flag string // the flag that named it, for messages
	name string
	info os.FileInfo // nil when it is not a file we could stat
}

func (o openedFile) same(p openedFile) bool {
	return o.info != nil && p.info != nil && os.SameFile(o.info, p.info)
}

// sameFileAs returns a fetch.Config.Protected that protects files: it
// reports whether path is, at the moment it is asked, one of them. os.Stat
// follows links, and os.SameFile compares device and inode, so that every
// name of a protected file — another spelling, a symbolic or a hard link —
// is refused. A path that cannot be stat'ed (it does not exist yet) is
// none of them: saving to it creates a new file.
func sameFileAs(files []os.FileInfo) func(path string) bool {
	return func(path string) bool {
		st, err := os.Stat(path)
		if err != nil {
			return false
		}
		for _, f := range files {
			if os.SameFile(st, f) {
				return true
			}
		}
		return false
	}
}

// openRecords opens the -o file (see fetch.OpenRecords) and prepares it
// at once: truncated, or, when it is the checkpoint, its torn tail cut.
func openRecords(name string, input, resume openedFile, others ...openedFile) (f *os.File, appending bool, err error) {
	rf, err := openRecordsFile(name, input, resume, others...)
	if err != nil {
		return nil, false, err
	}
	if err := rf.Prepare(); err != nil {
		rf.Close()
		return nil, false, &usageError{err.Error()}
	}
	return rf.File(), rf.Appending(), nil
}

// openRecordsFile opens the -o file with fetch.OpenRecords, which changes
// nothing in it until the first record is written; its refusals are usage
// errors.
func openRecordsFile(name string, input, resume openedFile, others ...openedFile) (*fetch.RecordsFile, error) {
	refs := make([]fetch.FileRef, len(others))
	for i, o := range others {
		refs[i] = o.ref()
	}
	rf, err := fetch.OpenRecords(name, input.ref(), resume.ref(), refs...)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return rf, nil
}

func (o openedFile) ref() fetch.FileRef {
	return fetch.FileRef{Flag: o.flag, Name: o.name, Info: o.info}
}

// checkTimeline checks, before the run, that the -timeline file can be
// written and is none of the files the run reads or writes records to. It
// creates nothing: the timeline is written at the end, to a temporary file
// in the same directory renamed over name (see writeTimeline), so the
// directory must take new files.
func checkTimeline(name string, others ...openedFile) (openedFile, error) {
	tl := openedFile{flag: "-timeline", name: name}
	st, err := os.Stat(name)
	switch {
	case err == nil && st.IsDir():
		return tl, usagef("cannot write -timeline: %s is a directory", name)
	case err == nil:
		tl.info = st
		for _, o := range others {
			if tl.same(o) {
				return tl, usagef("-timeline %s is the same file as %s %s", name, o.flag, o.name)
			}
		}
	case !errors.Is(err, os.ErrNotExist):
		return tl, usagef("cannot write -timeline: %v", unwrapPath(err))
	}
	dir := filepath.Dir(timelineTarget(name))
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return tl, usagef("cannot write -timeline %s: the directory %s does not exist", name, dir)
	}
	probe, err := os.CreateTemp(dir, ".fetchall-timeline-*")
	if err != nil {
		return tl, usagef("cannot write -timeline %s: the directory %s does not take new files: %v", name, dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	return tl, nil
}

// timelineTarget is the file the timeline replaces: name, or what it links
// to, so that a symbolic link stays one.
func timelineTarget(name string) string {
	if t, err := filepath.EvalSymlinks(name); err == nil {
		return t
	}
	return name
}

// statFile returns what f is, or nil info when it cannot tell.
func statFile(flag, name string, f *os.File) openedFile {
	o := openedFile{flag: flag, name: name}
	if f != nil {
		if st, err := f.Stat(); err == nil {
			o.info = st
		}
	}
	return o
}
