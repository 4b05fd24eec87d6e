package dataset

import (
	"errors"
	"fmt"
)

// Sentinel reasons. Every problem the dataset layer reports wraps exactly one
// of them, so callers and reports can group failures with errors.Is.
var (
	ErrManifest           = errors.New("malformed manifest")
	ErrMissingArchive     = errors.New("archive not found")
	ErrSizeMismatch       = errors.New("archive size differs from manifest")
	ErrHashMismatch       = errors.New("archive sha256 differs from manifest")
	ErrUnknownFormat      = errors.New("unknown archive format")
	ErrUnknownCompression = errors.New("unknown compression")
	ErrCorrupt            = errors.New("corrupt or truncated archive")
	ErrEmpty              = errors.New("archive holds no files")
	ErrTooManyFiles       = errors.New("too many files")
	ErrFileTooLarge       = errors.New("file too large")
	ErrTotalTooLarge      = errors.New("total uncompressed size too large")
	ErrRatioTooHigh       = errors.New("compression ratio too high")
	ErrNoMetadata         = errors.New("metadata file not found")
	ErrBadMetadata        = errors.New("unparsable metadata")

	// Entry-level reasons: recorded on the package, the entry is skipped.
	ErrUnsafePath   = errors.New("unsafe path")
	ErrLink         = errors.New("link not followed")
	ErrDevice       = errors.New("device or special file")
	ErrDuplicate    = errors.New("duplicate entry")
	ErrInvalidName  = errors.New("name is not valid UTF-8")
	ErrUnsupported  = errors.New("unsupported entry")
	ErrOutsideScope = errors.New("outside the package tree")
)

// Error is a per-package failure: the package could not be loaded (or failed
// verification) for the reason Kind. Loading other packages goes on.
type Error struct {
	ID   string // manifest row id, or the path for user-supplied packages
	Kind error  // one of the sentinel reasons above
	Err  error  // underlying cause, may be nil
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("%s: %v", e.ID, e.Kind)
	}
	return fmt.Sprintf("%s: %v: %v", e.ID, e.Kind, e.Err)
}

// Unwrap exposes both the reason and the cause to errors.Is / errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

func pkgErr(id string, kind error, cause error) *Error {
	return &Error{ID: id, Kind: kind, Err: cause}
}

// Reason returns the sentinel reason of err, or err itself when it carries
// none. Reports group failures by it.
func Reason(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return err
}

// EntryIssue records an archive member that was skipped (or renamed) rather
// than taken into the package: unsafe paths, links, devices, duplicates.
type EntryIssue struct {
	Path   string // the member name as stored, made printable
	Reason error  // one of the entry-level sentinels
	Kept   bool   // true when the entry was still taken in (e.g. a repaired name)
}
