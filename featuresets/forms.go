package featuresets

import (
	"crypto/sha256"
	"encoding/hex"
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

// Repacker returns an Options.Repack function that re-packs each package
// into form, with templates and layout drawn from seed and the row id, and
// reads the result back through the dataset readers, so the features are
// those of a real archive of that form.
func Repacker(form string, seed int64) (func(dataset.Row, *dataset.Package) (*dataset.Package, string, error), error) {
	var pack func(*dataset.Package, int64) ([]byte, error)
	var name func(*dataset.Package) (string, error)
	switch form {
	case FormSdist:
		pack, name = repack.Sdist, repack.SdistName
	case FormWheel:
		pack, name = repack.Wheel, repack.WheelName
	default:
		return nil, fmt.Errorf("featuresets: unknown form %q (want %s or %s)", form, FormSdist, FormWheel)
	}
	return func(row dataset.Row, p *dataset.Package) (*dataset.Package, string, error) {
		h := fnv.New64a()
		h.Write([]byte(row.ID))
		data, err := pack(p, seed^int64(h.Sum64()))
		if err != nil {
			return nil, "", fmt.Errorf("re-pack %s as %s: %w", row.ID, form, err)
		}
		file, err := name(p)
		if err != nil {
			return nil, "", fmt.Errorf("re-pack %s as %s: %w", row.ID, form, err)
		}
		q, err := dataset.Decode(row.ID, file, data, dataset.Limits{})
		if err != nil {
			return nil, "", fmt.Errorf("read re-packed %s: %w", row.ID, err)
		}
		q.Row = row
		sum := sha256.Sum256(data)
		return q, hex.EncodeToString(sum[:]), nil
	}, nil
}
