package main

import (
	"errors"
	"io"
	"os"
)

// errLocked reports a file that another fetchall is writing.
var errLocked = errors.New("another fetchall is writing it (the file is locked)")

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

// openRecords opens the -o file. It is opened without truncation, then
// compared with the files the run reads:
//   - the URL list (-i), or another output (-timeline): refused, before
//     anything is truncated;
//   - the -resume checkpoint: appended to, never truncated, after its torn
//     last line, if any, is ended;
//   - anything else: truncated, as the user asked to replace it.
//
// So the decision to truncate is taken on the file actually open, and a
// checkpoint cannot be truncated whatever name it is given under.
func openRecords(name string, input, resume openedFile, others ...openedFile) (f *os.File, appending bool, err error) {
	f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, false, usagef("cannot write records: %v", unwrapPath(err))
	}
	out := openedFile{flag: "-o", name: name}
	if out.info, err = f.Stat(); err != nil {
		f.Close()
		return nil, false, usagef("cannot write records: %v", unwrapPath(err))
	}
	if out.same(input) {
		f.Close()
		return nil, false, usagef("-o %s is the URL list (%s %s): refusing to overwrite it", name, input.flag, input.name)
	}
	for _, o := range others {
		if out.same(o) {
			f.Close()
			return nil, false, usagef("-o %s is the same file as %s %s", name, o.flag, o.name)
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
		f.Close()
		// Appending, so that every write lands at the end whatever else
		// appends to the file: records are never written over records.
		if f, err = os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0); err != nil {
			return nil, false, usagef("cannot write records: %v", unwrapPath(err))
		}
		if st, err := f.Stat(); err != nil || !os.SameFile(st, out.info) {
			f.Close()
			return nil, false, usagef("the checkpoint %s changed while it was opened", name)
		}
		if err := lockFile(f); err != nil {
			f.Close()
			return nil, false, usagef("cannot write records to %s: %v", name, err)
		}
		if err := endTornLine(f, out.info.Size()); err != nil {
			f.Close()
			return nil, false, usagef("cannot repair the checkpoint %s: %v", name, unwrapPath(err))
		}
		return f, true, nil
	}
	if resume.name != "" && resume.info == nil {
		f.Close()
		return nil, false, usagef("cannot read -resume file: %s: no such file or directory", resume.name)
	}
	if out.info.Mode().IsRegular() {
		if err := lockFile(f); err != nil {
			f.Close()
			return nil, false, usagef("cannot write records to %s: %v", name, err)
		}
		if err := f.Truncate(0); err != nil {
			f.Close()
			return nil, false, usagef("cannot write records: %v", unwrapPath(err))
		}
	}
	return f, false, nil
}

// endTornLine makes a checkpoint of size bytes end with a newline, and
// leaves f positioned at its end. A run killed while writing leaves its
// last record without one; without this, the first record appended would
// be glued to it and both would be unreadable. The torn bytes are kept
// (nothing is ever cut from a checkpoint): [fetch.LoadSucceeded] recognises
// a torn record and fetches its URL again.
func endTornLine(f *os.File, size int64) error {
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		return err
	}
	if size == 0 {
		return nil
	}
	r, err := os.Open(f.Name())
	if err != nil {
		return err
	}
	defer r.Close()
	st, err := r.Stat()
	if err != nil {
		return err
	}
	var last [1]byte
	if _, err := r.ReadAt(last[:], st.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = f.Write([]byte{'\n'})
	return err
}

// checkDistinct refuses an output file (such as -timeline) that is one of
// the files the run reads or writes records to. It creates the file when
// missing, so that a path that cannot be written is reported before the
// run rather than after it, but does not truncate it.
func checkDistinct(out openedFile, others ...openedFile) error {
	f, err := os.OpenFile(out.name, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return usagef("cannot write %s: %v", out.flag, unwrapPath(err))
	}
	defer f.Close()
	if out.info, err = f.Stat(); err != nil {
		return usagef("cannot write %s: %v", out.flag, unwrapPath(err))
	}
	if out.info.IsDir() {
		return usagef("cannot write %s: %s is a directory", out.flag, out.name)
	}
	for _, o := range others {
		if out.same(o) {
			return usagef("%s %s is the same file as %s %s", out.flag, out.name, o.flag, o.name)
		}
	}
	return nil
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
