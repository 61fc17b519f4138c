package fetch

import (
	"errors"
	"fmt"
	"os"
)

// Files are compared by identity (device and inode, through os.SameFile),
// never by name: ./out.jsonl, out.jsonl, a symbolic link and a hard link to
// it are all the same checkpoint.

// FileRef is a file named by the caller (on a command line, by a flag),
// with what it is on disk, for [OpenRecords] to compare the records file
// with.
type FileRef struct {
	Flag string // what named it, for messages
	Name string
	Info os.FileInfo // nil when it is not a file that could be stat'ed
}

// Same reports whether o and p are the same file.
func (o FileRef) Same(p FileRef) bool {
	return o.Info != nil && p.Info != nil && os.SameFile(o.Info, p.Info)
}

// pathError drops the verb from a path error: "x: no such file or
// directory" reads better in a one-line message.
func pathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// AppendTo returns a RecordsFile that appends to f, a checkpoint opened by
// someone else (a shell's >>): its torn tail is cut before the first
// record.
func AppendTo(f *os.File, name string) *RecordsFile {
	return &RecordsFile{f: f, name: name, appending: true}
}

// File returns the open file.
func (r *RecordsFile) File() *os.File { return r.f }

// Name returns the name it was opened under.
func (r *RecordsFile) Name() string { return r.name }

// Appending reports whether the file is the checkpoint being resumed,
// which records are appended to.
func (r *RecordsFile) Appending() bool { return r.appending }

// RecordsFile is a file records are written to (fetchall's -o), changed
// only when the first record is written to it or Prepare is called (at
// the end of a run that had inputs): a command refused for a usage error,
// found before or after the file was opened, leaves it as it was.
type RecordsFile struct {
	f         *os.File
	name      string
	appending bool // the -resume checkpoint: appended to, never truncated
	created   bool // it did not exist before
	prepared  bool
	err       error
}

// Write prepares the file before the first write.
func (r *RecordsFile) Write(p []byte) (int, error) {
	if !r.prepared {
		if err := r.Prepare(); err != nil {
			return 0, err
		}
	}
	return r.f.Write(p)
}

// Sync syncs the file to disk.
func (r *RecordsFile) Sync() error { return r.f.Sync() }

// Close closes the file.
func (r *RecordsFile) Close() error { return r.f.Close() }

// Prepare makes the file ready for records, once: a checkpoint has its
// torn tail cut, any other regular file is truncated.
func (r *RecordsFile) Prepare() error {
	if r.prepared {
		return r.err
	}
	r.prepared = true
	switch st, err := r.f.Stat(); {
	case err != nil:
		r.err = fmt.Errorf("cannot write records: %w", pathError(err))
	case r.appending:
		if _, err := CutTornTail(r.f); err != nil {
			r.err = fmt.Errorf("cannot repair the checkpoint %s: %v", r.name, pathError(err))
		}
	case st.Mode().IsRegular():
		if err := r.f.Truncate(0); err != nil {
			r.err = fmt.Errorf("cannot write records: %w", pathError(err))
		}
	}
	return r.err
}

// RemoveIfUnused removes the file if OpenRecords created it and nothing
// was written to it: a refused command leaves no empty file behind.
func (r *RecordsFile) RemoveIfUnused() {
	if r.created && !r.prepared {
		if st, err := r.f.Stat(); err == nil && st.Size() == 0 {
			os.Remove(r.name)
		}
	}
}

// OpenRecords opens the records file name, creating it when missing but
// changing nothing in it, and compares it with the files the run reads:
//   - the URL list (input), or another output (others): refused;
//   - the checkpoint being resumed (resume): it will be appended to, never
//     truncated, after its torn tail, if any, is cut (see [CutTornTail]);
//   - anything else: it will be truncated, as the caller asked to replace
//     it.
//
// So the decision to truncate is taken on the file actually open, and a
// checkpoint cannot be truncated whatever name it is given under. The
// file is locked, so that two runs do not write it at once.
func OpenRecords(name string, input, resume FileRef, others ...FileRef) (_ *RecordsFile, err error) {
	_, statErr := os.Lstat(name)
	created := errors.Is(statErr, os.ErrNotExist)
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot write records: %w", pathError(err))
	}
	rf := &RecordsFile{f: f, name: name, created: created}
	defer func() {
		if err != nil {
			rf.RemoveIfUnused()
			rf.f.Close()
		}
	}()
	out := FileRef{Flag: "-o", Name: name}
	if out.Info, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("cannot write records: %w", pathError(err))
	}
	if out.Same(input) {
		return nil, fmt.Errorf("-o %s is the URL list (%s %s): refusing to overwrite it", name, input.Flag, input.Name)
	}
	for _, o := range others {
		if out.Same(o) {
			return nil, fmt.Errorf("-o %s is the same file as %s %s", name, o.Flag, o.Name)
		}
	}
	if resume.Name != "" && resume.Info == nil {
		// The first run of a resumable command line: the checkpoint did not
		// exist; it does now if -o names it.
		if st, err := os.Stat(resume.Name); err == nil {
			resume.Info = st
		}
	}
	if out.Same(resume) {
		// Appending, so that every write lands at the end whatever else
		// appends to the file: records are never written over records.
		af, err := os.OpenFile(name, os.O_RDWR|os.O_APPEND, 0)
		if err != nil {
			return nil, fmt.Errorf("cannot write records: %w", pathError(err))
		}
		rf.f.Close()
		f, rf.f = af, af
		if st, err := f.Stat(); err != nil || !os.SameFile(st, out.Info) {
			return nil, fmt.Errorf("the checkpoint %s changed while it was opened", name)
		}
		if err := LockFile(f); err != nil {
			return nil, fmt.Errorf("cannot write records to %s: %v", name, err)
		}
		rf.appending = true
		return rf, nil
	}
	if resume.Name != "" && resume.Info == nil {
		return nil, fmt.Errorf("cannot read -resume file: %s: no such file or directory", resume.Name)
	}
	if out.Info.Mode().IsRegular() {
		if err := LockFile(f); err != nil {
			return nil, fmt.Errorf("cannot write records to %s: %v", name, err)
		}
	}
	return rf, nil
}
