// Package atomicfile writes whole files so that readers see either the old
// file or the new one, never a partial write: the data goes to a temporary
// file (".tmp-*") in the same folder, which is then renamed into place.
package atomicfile

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
)

// Write writes data to name, creating its folder if needed. It does not sync:
// its files (cache entries, results) can be made again after a crash, and a
// sync each would slow a cold cache down.
func Write(name string, data []byte) error {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("atomic write: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("atomic write: %w", err)
	}
	defer root.Close()
	if err := write(root, base, data, false); err != nil {
		return fmt.Errorf("atomic write %s: %w", name, err)
	}
	return nil
}

// WriteIn writes data to rel under root, creating its folder if needed; no
// path or link can take the write out of root. The data is synced before
// the rename, so a crash leaves the old file or the whole new one.
func WriteIn(root *os.Root, rel string, data []byte) error {
	return write(root, rel, data, true)
}

func write(root *os.Root, rel string, data []byte, sync bool) error {
	dir := filepath.Dir(rel)
	if dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	tmp := filepath.Join(dir, ".tmp-"+rand.Text())
	fh, err := root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = fh.Write(data)
	if err == nil && sync {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(tmp, rel)
	}
	if err != nil {
		_ = root.Remove(tmp)
	}
	return err
}
