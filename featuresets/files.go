package featuresets

import (
	"path"
	"strings"

	"pypimal/dataset"
)

func fileDefs() []def {
	d := func(name string, typ Type, doc string, f func(*facts) float64) def {
		return def{Feature{Name: name, Family: Files, Type: typ, Definition: doc}, f}
	}
	leaky := func(name string, typ Type, doc string, f func(*facts) float64) def {
		x := d(name, typ, doc, f)
		x.Leaky = true
		return x
	}
	defs := []def{
		d("files_total", Count, "Regular files in the package.", func(f *facts) float64 { return float64(len(f.pkg.Files)) }),
		d("files_bytes", Count, "Bytes of all files.", func(f *facts) float64 { return float64(f.files.bytes) }),
		d("files_max_depth", Count, "Deepest folder nesting of a file (0 = package root).", func(f *facts) float64 { return float64(f.files.maxDepth) }),
		d("files_dirs", Count, "Distinct folders holding files.", func(f *facts) float64 { return float64(f.files.dirs) }),
	}
	for _, k := range dataset.Kinds {
		k := k
		defs = append(defs,
			d("files_"+string(k), Count, "Files of kind "+string(k)+" ("+kindDoc[k]+").", func(f *facts) float64 { return float64(f.files.count[k]) }),
			d("files_"+string(k)+"_bytes", Count, "Bytes in files of kind "+string(k)+".", func(f *facts) float64 { return float64(f.files.kindBytes[k]) }),
		)
	}
	defs = append(defs,
		d("files_executable_bit", Count, "Files stored with an executable mode bit.", func(f *facts) float64 { return float64(f.files.executable) }),
		d("files_hidden", Count, "Files whose path has an element starting with a dot.", func(f *facts) float64 { return float64(f.files.hidden) }),
		d("files_windows_exe", Count, "Windows executables or libraries by PE magic number (MZ).", func(f *facts) float64 { return float64(f.files.pe) }),
		// README and LICENSE sit at an sdist's root, while Debian moves them
		// to /usr/share/doc, outside the benign package tree: like setup.py,
		// their presence tells the packaging apart, not the intent.
		leaky("files_has_readme", Bool, "A README file anywhere in the package (leaky: Debian moves it to /usr/share/doc).", func(f *facts) float64 { return b2f(f.files.readme) }),
		leaky("files_has_license", Bool, "A LICENSE/LICENCE/COPYING file anywhere in the package (leaky: Debian moves it to /usr/share/doc).", func(f *facts) float64 { return b2f(f.files.licenseFile != nil) }),
		d("files_has_tests", Bool, "A tests folder or a test_*.py / *_test.py file.", func(f *facts) float64 { return b2f(f.files.tests) }),
		d("files_python_ratio", Real, "Share of files that are Python source.", func(f *facts) float64 {
			return ratio(f.files.count[dataset.KindPython], len(f.pkg.Files))
		}),
		leaky("files_license_mismatch", Bool, "Metadata License, License classifiers and LICENSE text name different license families (leaky: reads the LICENSE file).", func(f *facts) float64 {
			text := ""
			if f.files.licenseFile != nil {
				text = string(f.files.licenseFile.Data)
			}
			return b2f(licenseMismatch(f.meta.license, f.meta.licClassif, text))
		}),
		leaky("files_setup_py", Bool, "A setup.py at the package root.", func(f *facts) float64 { return b2f(f.pkg.File("setup.py") != nil) }),
		leaky("files_setup_cfg", Bool, "A setup.cfg at the package root.", func(f *facts) float64 { return b2f(f.pkg.File("setup.cfg") != nil) }),
		leaky("files_pyproject", Bool, "A pyproject.toml at the package root.", func(f *facts) float64 { return b2f(f.pkg.File("pyproject.toml") != nil) }),
		leaky("files_setup_incomplete", Bool, "setup.py exists but has no setup() call, or its setup() lacks name, version, or any of packages/py_modules/scripts (with no **kwargs).", func(f *facts) float64 {
			return b2f(f.code.setupIncomplete)
		}),
	)
	return defs
}

var kindDoc = map[dataset.Kind]string{
	dataset.KindPython:   ".py/.pyw/.pyi source",
	dataset.KindBytecode: ".pyc/.pyo",
	dataset.KindNative:   "ELF, PE or Mach-O by magic number, or .so/.pyd/.dll/.exe",
	dataset.KindScript:   "shell, batch, PowerShell, VBScript, JavaScript, or a shebang",
	dataset.KindArchive:  "nested zip/tar/gz/bz2/xz/7z/rar/wheel/egg by magic or extension",
	dataset.KindImage:    "PNG, JPEG, GIF, BMP, ICO, SVG, WebP",
	dataset.KindText:     "other text: docs, data, config",
	dataset.KindOther:    "anything else (binary data)",
}

type fileFacts struct {
	bytes       int64
	maxDepth    int
	dirs        int
	count       map[dataset.Kind]int
	kindBytes   map[dataset.Kind]int64
	executable  int
	hidden      int
	pe          int
	readme      bool
	tests       bool
	licenseFile *dataset.File
}

func newFileFacts(p *dataset.Package) fileFacts {
	ff := fileFacts{count: map[dataset.Kind]int{}, kindBytes: map[dataset.Kind]int64{}}
	dirs := map[string]bool{}
	for i := range p.Files {
		fl := &p.Files[i]
		ff.bytes += fl.Size
		ff.maxDepth = max(ff.maxDepth, fl.Depth())
		dirs[path.Dir(fl.Path)] = true
		ff.count[fl.Kind]++
		ff.kindBytes[fl.Kind] += fl.Size
		if fl.Executable {
			ff.executable++
		}
		if fl.Hidden() {
			ff.hidden++
		}
		if strings.HasPrefix(string(fl.Data), "MZ") && fl.Kind == dataset.KindNative {
			ff.pe++
		}
		base := strings.ToLower(fl.Name())
		stem := strings.TrimSuffix(base, path.Ext(base))
		switch {
		case stem == "readme":
			ff.readme = true
		case stem == "license" || stem == "licence" || stem == "copying" || strings.HasPrefix(base, "license-") || strings.HasPrefix(base, "licence-"):
			// Prefer the shallowest license file.
			if ff.licenseFile == nil || fl.Depth() < ff.licenseFile.Depth() {
				ff.licenseFile = fl
			}
		}
		if fl.Kind == dataset.KindPython && (strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py")) ||
			strings.Contains("/"+fl.Path, "/tests/") || strings.Contains("/"+fl.Path, "/test/") {
			ff.tests = true
		}
	}
	ff.dirs = len(dirs)
	return ff
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
