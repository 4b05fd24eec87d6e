package featuresets

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"os"
	"path/filepath"
	"strings"

	"pypimal/internal/atomicfile"
)

// Cache stores one feature row per key: the archive's sha256 for a row as
// published, or for a re-packed row (Options.Repack) a sha256 of the
// re-packer's version (repack.Version), the form, the seed, the row's id
// and the archive's sha256, so a warm run neither loads nor re-packs it.
// Entries live under the extractor version (v<ExtractorVersion>/) and also
// record it, the key and a hash of the feature names; they are written
// atomically (temp file and rename) and checked on read (CRC and those
// three): a stale, foreign or corrupt entry is a miss and gets recomputed,
// never trusted. Extraction stores no row with a file over its time budget.
type Cache struct {
	Dir string
}

type cacheEntry struct {
	Version      int
	SHA256       string // the key (named so for the entries already on disk)
	Catalogue    uint64 // hash of the feature names, in order
	Values       []float64
	Tokens       map[string]int
	PythonErrors int
	Findings     []Finding
}

var catalogueHash = func() uint64 {
	h := fnv.New64a()
	for _, n := range Names() {
		h.Write([]byte(n))
		h.Write([]byte{0})
	}
	return h.Sum64()
}()

func (c *Cache) path(sha string) (string, error) {
	sha = strings.ToLower(sha)
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return "", fmt.Errorf("cache: bad sha256 %q", sha)
	}
	return filepath.Join(c.Dir, fmt.Sprintf("v%d", ExtractorVersion), sha[:2], sha+".gob"), nil
}

// Get returns the cached row for a key, or false on a miss (absent, stale
// or corrupt entry).
func (c *Cache) Get(sha string) (*Row, bool) {
	p, err := c.path(sha)
	if err != nil {
		return nil, false
	}
	b, err := os.ReadFile(p)
	if err != nil || len(b) < 4 {
		return nil, false
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, false
	}
	var e cacheEntry
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&e); err != nil {
		return nil, false
	}
	if e.Version != ExtractorVersion || !strings.EqualFold(e.SHA256, sha) || e.Catalogue != catalogueHash || len(e.Values) != len(catalogue) {
		return nil, false
	}
	return &Row{Values: e.Values, Tokens: e.Tokens, PythonErrors: e.PythonErrors, Findings: e.Findings}, true
}

// Put stores a row under a key, atomically.
func (c *Cache) Put(sha string, r *Row) error {
	p, err := c.path(sha)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	e := cacheEntry{Version: ExtractorVersion, SHA256: strings.ToLower(sha), Catalogue: catalogueHash,
		Values: r.Values, Tokens: r.Tokens, PythonErrors: r.PythonErrors, Findings: r.Findings}
	if err := gob.NewEncoder(&buf).Encode(&e); err != nil {
		return fmt.Errorf("cache: encode: %w", err)
	}
	buf.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(buf.Bytes())))
	if err := atomicfile.Write(p, buf.Bytes()); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}
