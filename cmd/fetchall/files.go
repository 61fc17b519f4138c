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

// openRecords opens the -o file (see openRecordsFile) and prepares it at
// once: truncated, or, when it is the checkpoint, its torn tail cut.
func openRecords(name string, input, resume openedFile, others ...openedFile) (f *os.File, appending bool, err error) {
	rf, err := openRecordsFile(name, input, resume, others...)
	if err != nil {
		return nil, false, err
	}
	if err := rf.prepare(); err != nil {
		rf.f.Close()
		return nil, false, err
	}
	return rf.f, rf.appending, nil
}

// recordsFile is an opened -o file that is changed only when the first
// record is written to it (or at the end of a run that had inputs): a
// command refused for a usage error, found before or after the file was
// opened, leaves it as it was.
type recordsFile struct {
	f         *os.File
	name      string
	appending bool // the -resume checkpoint: appended to, never truncated
	created   bool // it did not exist before
	prepared  bool
	err       error
}

// Write prepares the file before the first write.
func (r *recordsFile) Write(p []byte) (int, error) {
	if !r.prepared {
		if err := r.prepare(); err != nil {
			return 0, err
		}
	}
	return r.f.Write(p)
}

// Sync syncs the file to disk.
func (r *recordsFile) Sync() error { return r.f.Sync() }

// Close closes the file.
func (r *recordsFile) Close() error { return r.f.Close() }

// prepare makes the file ready for records, once: a checkpoint has its
// torn tail cut, any other regular file is truncated.
func (r *recordsFile) prepare() error {
	if r.prepared {
		return r.err
	}
	r.prepared = true
	switch st, err := r.f.Stat(); {
	case err != nil:
		r.err = usagef("cannot write records: %v", unwrapPath(err))
	case r.appending:
		if err := cutTornTail(r.f); err != nil {
			r.err = usagef("cannot repair the checkpoint %s: %v", r.name, unwrapPath(err))
		}
	case st.Mode().IsRegular():
		if err := r.f.Truncate(0); err != nil {
			r.err = usagef("cannot write records: %v", unwrapPath(err))
		}
	}
	return r.err
}

// removeIfUnused removes the file if this run created it and wrote
// nothing to it: a refused command leaves no empty file behind.
func (r *recordsFile) removeIfUnused() {
	if r.created && !r.prepared {
		if st, err := r.f.Stat(); err == nil && st.Size() == 0 {
			os.Remove(r.name)
		}
	}
}

// openRecordsFile opens the -o file, creating it when missing but changing
// nothing in it, and compares it with the files the run reads:
//   - the URL list (-i), or another output (-timeline): refused;
//   - the -resume checkpoint: it will be appended to, never truncated,
//     after its torn tail, if any, is cut;
//   - anything else: it will be truncated, as the user asked to replace it.
//
// So the decision to truncate is taken on the file actually open, and a
// checkpoint cannot be truncated whatever name it is given under. The
// file is locked, so that two runs do not write it at once.
func openRecordsFile(name string, input, resume openedFile, others ...openedFile) (_ *recordsFile, err error) {
	_, statErr := os.Lstat(name)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, usagef("cannot write records: %v", unwrapPath(err))
	}
	rf := &recordsFile{f: f, name: name, created: created}
	defer func() {
		if err != nil {
			rf.removeIfUnused()
			rf.f.Close()
		}
	}()
	out := openedFile{flag: "-o", name: name}
	if out.info, err = f.Stat(); err != nil {
		return nil, usagef("cannot write records: %v", unwrapPath(err))
	}
	if out.same(input) {
		return nil, usagef("-o %s is the URL list (%s %s): refusing to overwrite it", name, input.flag, input.name)
	}
	for _, o := range others {
		if out.same(o) {
			return nil, usagef("-o %s is the same file as %s %s", name, o.flag, o.name)
		}
	}
	if resume.name != "" && resume.info == nil {
		// The first run of a resumable command line: the checkpoint did not
		// exist; it does now if -o names it.
		if st, err := os.Stat(resume.name); err == nil {
			resume.info = st
		}
	}
	if out.same(resume) {
		// Appending, so that every write lands at the end whatever else
		// appends to the file: records are never written over records.
		af, err := os.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			return nil, usagef("cannot write records: %v", unwrapPath(err))
		}
		rf.f.Close()
		f, rf.f = af, af
		if st, err := f.Stat(); err != nil || !os.SameFile(st, out.info) {
			return nil, usagef("the checkpoint %s changed while it was opened", name)
		}
		if err := fetch.LockFile(f); err != nil {
			return nil, usagef("cannot write records to %s: %v", name, err)
		}
		rf.appending = true
		return rf, nil
	}
	if resume.name != "" && resume.info == nil {
		return nil, usagef("cannot read -resume file: %s: no such file or directory", resume.name)
	}
	if out.info.Mode().IsRegular() {
		if err := fetch.LockFile(f); err != nil {
			return nil, usagef("cannot write records to %s: %v", name, err)
		}
	}
	return rf, nil
}

// cutTornTail cuts the tail of the checkpoint f that a crash tore (see
// fetch.CutTornTail), so that the records appended follow whole records.
func cutTornTail(f *os.File) error {
	_, err := fetch.CutTornTail(f)
	return err
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
