package featuresets

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"

	"pypimal/dataset"
	"pypimal/dataset/repack"
)

// Packaging forms of the form-shift instrument: an installed-form package
// (a Debian row) re-packed, in memory, as PyPI would serve it.
const (
	FormSdist = "sdist"
	FormWheel = "wheel"
)

// ErrRepack is the reason of a package that could not be re-packed.
var ErrRepack = errors.New("repack")

// Repacking is an Options.Repack: it re-packs each package into Form, with
// templates and layout drawn from Seed and the row id, and reads the
// result back through the dataset readers, so the features are those of a
// real archive of that form.
type Repacking struct {
	Form string
	Seed int64
	pack func(*dataset.Package, int64) ([]byte, error)
	name func(*dataset.Package) (string, error)
}

// NewRepacking checks form and returns its Repacking.
func NewRepacking(form string, seed int64) (*Repacking, error) {
	r := &Repacking{Form: form, Seed: seed}
	switch form {
	case FormSdist:
		r.pack, r.name = repack.Sdist, repack.SdistName
	case FormWheel:
		r.pack, r.name = repack.Wheel, repack.WheelName
	default:
		return nil, fmt.Errorf("featuresets: unknown form %q (want %s or %s)", form, FormSdist, FormWheel)
	}
	return r, nil
}

// key names a row's re-packed features in the cache without re-packing:
// the re-packed archive is a function of the row's archive, its id, the
// form, the seed and the re-packer's version.
func (r *Repacking) key(row dataset.Row) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "repack v%d\x00%s\x00%d\x00%s\x00%s", repack.Version, r.Form, r.Seed, row.ID, row.SHA256))
	return hex.EncodeToString(sum[:])
}

// apply re-packs p, the package of row, and reads the archive back.
func (r *Repacking) apply(row dataset.Row, p *dataset.Package) (*dataset.Package, error) {
	h := fnv.New64a()
	h.Write([]byte(row.ID))
	data, err := r.pack(p, r.Seed^int64(h.Sum64()))
	if err != nil {
		return nil, fmt.Errorf("%w as %s: %v", ErrRepack, r.Form, err)
	}
	file, err := r.name(p)
	if err != nil {
		return nil, fmt.Errorf("%w as %s: %v", ErrRepack, r.Form, err)
	}
	q, err := dataset.Decode(row.ID, file, data, dataset.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%w as %s: read back: %v", ErrRepack, r.Form, err)
	}
	q.Row = row
	return q, nil
}
