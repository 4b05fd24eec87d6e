// Package repack re-packs a benign installed-form package (a Debian
// dist-packages tree: module files plus a *.egg-info / *.dist-info metadata
// folder) into the forms PyPI serves: a source distribution (.tar.gz) with
// install files written from hand-made templates modelled on real projects,
// and a wheel. It is an instrument: tests and reports use it to check that
// features and model scores do not move with the packaging form.
//
// Everything happens in memory and is deterministic: the same package and
// seed give byte-identical archives. Module files are carried byte for byte,
// at the same paths under the import root, with the same executable bit.
package repack

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"pypimal/dataset"
)

// Version changes whenever a re-pack of the same package and seed gives
// other bytes (templates, layouts, file choices): caches of re-packed
// features are keyed by it.
const Version = 1

// Layout is where an sdist keeps its module files.
type Layout int

const (
	// LayoutAuto lets the seed choose between Flat and Src.
	LayoutAuto Layout = iota
	// Flat puts the module files at the sdist root.
	Flat
	// Src puts the module files under src/.
	Src
)

func (l Layout) String() string {
	switch l {
	case Flat:
		return "flat"
	case Src:
		return "src"
	}
	return "auto"
}

// Options tune a re-pack. The zero value (plus a seed) lets the seed choose
// everything.
type Options struct {
	Seed     int64
	Layout   Layout // LayoutAuto: chosen by seed
	Template string // "": chosen by seed; else one of Templates()
}

// Choice is what a re-pack of one package with one Options uses.
type Choice struct {
	Template string
	Layout   Layout
}

// Sdist returns a source distribution (.tar.gz bytes) of the installed-form
// package p, its template and layout chosen by seed.
func Sdist(p *dataset.Package, seed int64) ([]byte, error) {
	return SdistWith(p, Options{Seed: seed})
}

// Wheel returns a wheel (.whl zip bytes) of p.
func Wheel(p *dataset.Package, seed int64) ([]byte, error) {
	return WheelWith(p, Options{Seed: seed})
}

// Plan reports the template and layout SdistWith uses for p and o.
func Plan(p *dataset.Package, o Options) (Choice, error) {
	s, err := newSource(p)
	if err != nil {
		return Choice{}, err
	}
	c, _, err := choose(s, o)
	return c, err
}

// SdistName is the file name PyPI would give p's sdist: name-version.tar.gz.
func SdistName(p *dataset.Package) (string, error) {
	s, err := newSource(p)
	if err != nil {
		return "", err
	}
	return s.sdistBase() + ".tar.gz", nil
}

// WheelName is the file name of p's wheel: name-version-tag.whl.
func WheelName(p *dataset.Package) (string, error) {
	s, err := newSource(p)
	if err != nil {
		return "", err
	}
	return s.distInfoBase() + "-" + s.wheelTag() + ".whl", nil
}

// ModuleFiles returns the module files of an installed-form package: every
// file not inside a top-level *.egg-info / *.dist-info folder and not a
// top-level *.egg-info file, in path order. These are the files every form
// carries byte for byte.
func ModuleFiles(p *dataset.Package) []dataset.File {
	var out []dataset.File
	for _, f := range p.Files {
		if isMetaPath(f.Path) {
			continue
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

func isMetaPath(p string) bool {
	top, _, nested := strings.Cut(p, "/")
	if nested {
		return strings.HasSuffix(top, ".egg-info") || strings.HasSuffix(top, ".dist-info")
	}
	return strings.HasSuffix(top, ".egg-info")
}

// source is what every form is built from.
type source struct {
	p        *dataset.Package
	name     string // distribution name, as in the metadata
	version  string
	meta     []byte // metadata file bytes, as-is
	metaDir  string // folder of the metadata file, "" for an egg-info file or none
	modules  []dataset.File
	packages []string // top-level import packages (folders holding .py files)
	pymods   []string // top-level .py modules, without .py
	extmods  []string // dotted names of native extension modules found (.so/.pyd)
	native   bool
}

var errNoName = errors.New("repack: package has no name or version")

func newSource(p *dataset.Package) (*source, error) {
	if p == nil {
		return nil, errors.New("repack: nil package")
	}
	s := &source{p: p}
	s.name = strings.TrimSpace(p.Meta.Get("Name"))
	s.version = strings.TrimSpace(p.Meta.Get("Version"))
	if s.name == "" {
		s.name = p.Row.Name
	}
	if s.version == "" {
		s.version = p.Row.Version
	}
	if s.name == "" || s.version == "" {
		return nil, fmt.Errorf("%w (id %q)", errNoName, p.ID())
	}
	if p.MetaPath != "" {
		f := p.File(p.MetaPath)
		if f == nil {
			return nil, fmt.Errorf("repack: metadata file %s not in package %q", p.MetaPath, p.ID())
		}
		s.meta = f.Data
		if d, _ := splitDir(p.MetaPath); d != "" {
			s.metaDir = d
		}
	} else {
		s.meta = []byte(fmt.Sprintf("Metadata-Version: 1.1\nName: %s\nVersion: %s\n", s.name, s.version))
	}
	// A package may have no module files: Debian ships script-only
	// projects' code outside dist-packages. Their forms hold only
	// install files and metadata, as a metapackage's do.
	s.modules = ModuleFiles(p)
	pk, pm := map[string]bool{}, map[string]bool{}
	for _, f := range s.modules {
		top, rest, nested := strings.Cut(f.Path, "/")
		ext := path.Ext(f.Path)
		if isNativeModule(f) {
			s.native = true
			mod := strings.TrimSuffix(f.Path, path.Base(f.Path)) + strings.SplitN(path.Base(f.Path), ".", 2)[0]
			s.extmods = append(s.extmods, strings.ReplaceAll(mod, "/", "."))
		}
		switch {
		case nested && ext == ".py" && identifier(top) && !strings.Contains(rest, "__pycache__"):
			pk[top] = true
		case !nested && ext == ".py" && identifier(strings.TrimSuffix(top, ".py")):
			pm[strings.TrimSuffix(top, ".py")] = true
		}
	}
	s.packages, s.pymods = slices.Sorted(maps.Keys(pk)), slices.Sorted(maps.Keys(pm))
	return s, nil
}

func isNativeModule(f dataset.File) bool {
	b := path.Base(f.Path)
	return (strings.HasSuffix(b, ".so") || strings.HasSuffix(b, ".pyd")) && identifier(strings.SplitN(b, ".", 2)[0])
}

// metaFile returns a file of the package's own metadata folder, or nil.
func (s *source) metaFile(name string) *dataset.File {
	if s.metaDir == "" {
		return nil
	}
	return s.p.File(s.metaDir + "/" + name)
}

// topLevel is the import names, for top_level.txt.
func (s *source) topLevel() []string {
	set := map[string]bool{}
	for _, n := range s.packages {
		set[n] = true
	}
	for _, n := range s.pymods {
		set[n] = true
	}
	for _, e := range s.extmods {
		set[strings.SplitN(e, ".", 2)[0]] = true
	}
	return slices.Sorted(maps.Keys(set))
}

// mainPackage is the import package the templates talk about: the one named
// like the distribution, else the first package, else the first module.
func (s *source) mainPackage() (name string, isPkg bool) {
	want := strings.ToLower(wheelSafe(s.name))
	for _, n := range s.packages {
		if strings.ToLower(n) == want {
			return n, true
		}
	}
	for _, n := range s.pymods {
		if strings.ToLower(n) == want {
			return n, false
		}
	}
	if len(s.packages) > 0 {
		return s.packages[0], true
	}
	if len(s.pymods) > 0 {
		return s.pymods[0], false
	}
	return want, false
}

var (
	reWheel = regexp.MustCompile(`[-_.]+`)
	reSafe  = regexp.MustCompile(`[^A-Za-z0-9.]+`)
)

// wheelSafe normalises a name for wheel and dist-info file names, as
// re.sub(r"[-_.]+", "_", name) does.
func wheelSafe(s string) string { return reWheel.ReplaceAllString(s, "_") }

// safeName is setuptools' safe_name / safe_version for sdist folders.
func safeName(s string) string { return reSafe.ReplaceAllString(s, "-") }

func (s *source) sdistBase() string { return safeName(s.name) + "-" + safeName(s.version) }

// eggInfoDir is setuptools' to_filename(safe_name(name)) + ".egg-info".
func (s *source) eggInfoDir() string {
	return strings.ReplaceAll(safeName(s.name), "-", "_") + ".egg-info"
}

func (s *source) distInfoBase() string {
	return wheelSafe(s.name) + "-" + strings.ReplaceAll(safeName(s.version), "-", "_")
}

// wheelTag is py3-none-any for pure packages. A package carrying a native
// extension built for Debian bookworm gets that interpreter's tag, as
// bdist_wheel would write.
func (s *source) wheelTag() string {
	if s.native {
		return "cp311-cp311-linux_x86_64"
	}
	return "py3-none-any"
}

// rng is the package's random stream for seed: the same package and seed
// always draw the same choices.
func rng(s *source, seed int64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(s.name))
	h.Write([]byte{0})
	h.Write([]byte(s.version))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// choose draws the template and layout first, always, so forcing one does
// not change the rest of the stream.
func choose(s *source, o Options) (Choice, *rand.Rand, error) {
	r := rng(s, o.Seed)
	t := templateNames[r.IntN(len(templateNames))]
	l := Flat
	if r.IntN(3) == 0 {
		l = Src
	}
	if o.Template != "" {
		if !knownTemplate(o.Template) {
			return Choice{}, nil, fmt.Errorf("repack: unknown template %q (have %s)", o.Template, strings.Join(templateNames, ", "))
		}
		t = o.Template
	}
	switch o.Layout {
	case LayoutAuto:
	case Flat, Src:
		l = o.Layout
	default:
		return Choice{}, nil, fmt.Errorf("repack: unknown layout %d", o.Layout)
	}
	return Choice{Template: t, Layout: l}, r, nil
}

// mtime is a fixed, plausible build time drawn from the seed's stream.
func mtime(r *rand.Rand) time.Time {
	base := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(r.IntN(7*365*24*3600)) * time.Second)
}

func splitDir(p string) (string, string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

var pyKeywords = map[string]bool{
	"False": true, "None": true, "True": true, "and": true, "as": true, "assert": true, "async": true,
	"await": true, "break": true, "class": true, "continue": true, "def": true, "del": true, "elif": true,
	"else": true, "except": true, "finally": true, "for": true, "from": true, "global": true, "if": true,
	"import": true, "in": true, "is": true, "lambda": true, "nonlocal": true, "not": true, "or": true,
	"pass": true, "raise": true, "return": true, "try": true, "while": true, "with": true, "yield": true,
}

// identifier reports an ASCII Python identifier that is not a keyword.
func identifier(s string) bool {
	if s == "" || pyKeywords[s] {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
