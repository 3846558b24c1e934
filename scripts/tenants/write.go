package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// fileOps are the file system calls of writeAtomic, replaceable in tests to
// make a step fail.
type fileOps struct {
	write  func(f *os.File, data []byte) error
	sync   func(f *os.File) error
	rename func(oldpath, newpath string) error
}

var realOps = fileOps{
	write:  func(f *os.File, data []byte) error { _, err := f.Write(data); return err },
	sync:   (*os.File).Sync,
	rename: os.Rename,
}

// ops is what run uses; tests swap it.
var ops = realOps

// writeAtomic replaces path with data so that a reader sees the old file or
// the new one, never a part: a temporary file in the same directory is
// written, synced, given mode and renamed over path, then the directory is
// synced. On any error the temporary file is removed and path is untouched.
// A symlink at path is followed: its target is replaced.
func writeAtomic(path string, data []byte, mode fs.FileMode, o fileOps) (err error) {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = o.write(tmp, data); err != nil {
		return err
	}
	if err = tmp.Chmod(mode); err != nil {
		return err
	}
	if err = o.sync(tmp); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = o.rename(tmp.Name(), path); err != nil {
		return err
	}
	// The rename is durable once the directory is synced; a failure here
	// leaves the new file in place, so it is not reported.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
