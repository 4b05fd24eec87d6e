// Package dataset turns the embedded dataset (manifest.csv plus the original
// archives) and user-supplied archives into normalised packages, in memory.
// Archives are hostile input: nothing is written to disk, nothing is executed,
// every reader enforces Limits while decompressing, and every problem becomes
// a typed per-package Error or a recorded EntryIssue.
package dataset

import (
	"bytes"
	"path"
	"strings"
)

// Package is one normalised package: its manifest row, its core metadata and
// its files, with paths relative to the package root.
type Package struct {
	Row      Row
	Format   string    // format found by magic number: sdist-tar.gz, sdist-zip, wheel, deb, dir
	Meta     *Metadata // nil when the package has no readable PKG-INFO/METADATA
	MetaPath string    // path of the metadata file within Files, "" when none
	MetaErr  error     // why Meta is nil although a metadata file exists
	Files    []File    // regular files, in archive order
	Issues   []EntryIssue
	// UncompressedBytes counts every byte the archive stream expanded to,
	// including members outside the package tree (Debian's own files).
	UncompressedBytes int64
}

// ID is the manifest row id (or the path for user-supplied packages).
func (p *Package) ID() string { return p.Row.ID }

// File is one regular file of a package.
type File struct {
	Path       string // slash-separated, relative to the package root, never absolute or with ".."
	Size       int64
	Kind       Kind
	Executable bool // an executable mode bit was set in the archive
	Data       []byte
	Role       Role // see AssignRoles
	// ModPath is the path under the import root for RoleModule files
	// ("pkg/mod.py" for an sdist's "src/pkg/mod.py"), "" otherwise.
	ModPath string
}

// Name is the last path element.
func (f *File) Name() string { return path.Base(f.Path) }

// Hidden reports whether any path element starts with a dot.
func (f *File) Hidden() bool {
	for _, part := range strings.Split(f.Path, "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}

// Depth is the number of folders above the file (0 at the root).
func (f *File) Depth() int { return strings.Count(f.Path, "/") }

// File returns the file at p, or nil.
func (p *Package) File(rel string) *File {
	for i := range p.Files {
		if p.Files[i].Path == rel {
			return &p.Files[i]
		}
	}
	return nil
}

// Kind is a coarse file class decided by magic number first, extension second.
type Kind string

const (
	KindPython   Kind = "python"   // .py/.pyw source
	KindBytecode Kind = "bytecode" // .pyc/.pyo
	KindNative   Kind = "native"   // ELF, PE, Mach-O by magic number
	KindScript   Kind = "script"   // shell, batch, PowerShell, VBScript, JScript
	KindArchive  Kind = "archive"  // nested archives by magic or extension
	KindImage    Kind = "image"
	KindText     Kind = "text" // documentation, config and other text
	KindOther    Kind = "other"
)

// Kinds lists every kind in a fixed order, for reports and feature columns.
var Kinds = []Kind{KindPython, KindBytecode, KindNative, KindScript, KindArchive, KindImage, KindText, KindOther}

var magics = []struct {
	prefix []byte
	kind   Kind
}{
	{[]byte("\x7fELF"), KindNative},
	{[]byte("MZ"), KindNative},
	{[]byte{0xFE, 0xED, 0xFA, 0xCE}, KindNative},
	{[]byte{0xFE, 0xED, 0xFA, 0xCF}, KindNative},
	{[]byte{0xCE, 0xFA, 0xED, 0xFE}, KindNative},
	{[]byte{0xCF, 0xFA, 0xED, 0xFE}, KindNative},
	{[]byte{0xCA, 0xFE, 0xBA, 0xBE}, KindNative}, // Mach-O fat (also Java class; both binaries)
	{[]byte("PK\x03\x04"), KindArchive},
	{[]byte{0x1F, 0x8B}, KindArchive},
	{[]byte("BZh"), KindArchive},
	{[]byte{0xFD, '7', 'z', 'X', 'Z', 0x00}, KindArchive},
	{[]byte{0x28, 0xB5, 0x2F, 0xFD}, KindArchive},
	{[]byte("7z\xBC\xAF\x27\x1C"), KindArchive},
	{[]byte("Rar!\x1A\x07"), KindArchive},
	{[]byte("!<arch>\n"), KindArchive},
	{[]byte("\x89PNG\r\n\x1a\n"), KindImage},
	{[]byte{0xFF, 0xD8, 0xFF}, KindImage},
	{[]byte("GIF87a"), KindImage},
	{[]byte("GIF89a"), KindImage},
}

var extKinds = map[string]Kind{
	".py": KindPython, ".pyw": KindPython, ".pyi": KindPython,
	".pyc": KindBytecode, ".pyo": KindBytecode,
	".so": KindNative, ".pyd": KindNative, ".dll": KindNative, ".exe": KindNative, ".dylib": KindNative,
	".sh": KindScript, ".bash": KindScript, ".bat": KindScript, ".cmd": KindScript, ".ps1": KindScript,
	".vbs": KindScript, ".js": KindScript, ".jse": KindScript, ".wsf": KindScript,
	".zip": KindArchive, ".tar": KindArchive, ".gz": KindArchive, ".tgz": KindArchive, ".bz2": KindArchive,
	".xz": KindArchive, ".7z": KindArchive, ".rar": KindArchive, ".whl": KindArchive, ".egg": KindArchive,
	".jar": KindArchive, ".zst": KindArchive,
	".png": KindImage, ".jpg": KindImage, ".jpeg": KindImage, ".gif": KindImage, ".bmp": KindImage,
	".ico": KindImage, ".svg": KindImage, ".webp": KindImage,
}

// Classify decides a file's kind from its name and first bytes. Magic numbers
// win over extensions so a binary named .txt is still native; Python source
// is decided by extension because it has no magic.
func Classify(name string, data []byte) Kind {
	if isPythonFile(name) {
		return KindPython
	}
	ext := strings.ToLower(path.Ext(name))
	for _, m := range magics {
		if bytes.HasPrefix(data, m.prefix) {
			// "MZ" is two letters: only trust it with a PE-looking header.
			if m.prefix[0] == 'M' && len(data) < 64 {
				continue
			}
			return m.kind
		}
	}
	if k, ok := extKinds[ext]; ok {
		return k
	}
	if bytes.HasPrefix(data, []byte("#!")) {
		return KindScript
	}
	if looksText(data) {
		return KindText
	}
	return KindOther
}

// looksText is true when the first kilobyte has no NUL byte.
func looksText(data []byte) bool {
	head := data
	if len(head) > 1024 {
		head = head[:1024]
	}
	return bytes.IndexByte(head, 0) < 0
}
