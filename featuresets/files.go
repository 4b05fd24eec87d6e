package featuresets

import (
	"bytes"
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
	// Sizes, counts and kinds describe the module files only (by their path
	// under the import root), so they read the same for an sdist, a wheel
	// and an installed tree of one package.
	defs := []def{
		d("files_total", Count, "Module files (what an install puts on sys.path, see dataset.AssignRoles).", func(f *facts) float64 { return float64(f.files.total) }),
		d("files_bytes", Count, "Bytes of the module files.", func(f *facts) float64 { return float64(f.files.bytes) }),
		d("files_max_depth", Count, "Deepest folder nesting of a module file under the import root (0 = top-level module).", func(f *facts) float64 { return float64(f.files.maxDepth) }),
		d("files_dirs", Count, "Distinct folders holding module files.", func(f *facts) float64 { return float64(f.files.dirs) }),
	}
	for _, k := range dataset.Kinds {
		k := k
		defs = append(defs,
			d("files_"+string(k), Count, "Module files of kind "+string(k)+" ("+kindDoc[k]+").", func(f *facts) float64 { return float64(f.files.count[k]) }),
			d("files_"+string(k)+"_bytes", Count, "Bytes in module files of kind "+string(k)+".", func(f *facts) float64 { return float64(f.files.kindBytes[k]) }),
		)
	}
	defs = append(defs,
		d("files_native_programs", Count, "Native binaries by magic number (ELF, PE, Mach-O) outside tests, docs and examples that are not extension modules or shared libraries of the module tree: executables and droppers.", func(f *facts) float64 {
			return float64(f.files.nativePrograms)
		}),
		d("files_windows_exe", Count, "Windows executables or libraries by PE magic number (MZ) among files_native_programs.", func(f *facts) float64 { return float64(f.files.pe) }),
		d("files_python_ratio", Real, "Share of module files that are Python source.", func(f *facts) float64 {
			return ratio(f.files.count[dataset.KindPython], f.files.total)
		}),
		// Built forms (wheels, Debian) ship compiled extensions where an
		// sdist ships C sources.
		leaky("files_extension_modules", Count, "Compiled extension modules and shared libraries in the module tree (.so, .pyd, .dll, .dylib; leaky: built forms have them, sdists their sources).", func(f *facts) float64 {
			return float64(f.files.extensions)
		}),
		leaky("files_executable_bit", Count, "Files stored with an executable mode bit (leaky: Debian resets modes, sdists keep them).", func(f *facts) float64 { return float64(f.files.executable) }),
		leaky("files_hidden", Count, "Files whose path has an element starting with a dot (leaky: CI and editor files that only sdists ship).", func(f *facts) float64 { return float64(f.files.hidden) }),
		// README and LICENSE sit at an sdist's root, while Debian moves them
		// to /usr/share/doc, outside the benign package tree: like setup.py,
		// their presence tells the packaging apart, not the intent.
		leaky("files_has_readme", Bool, "A README file anywhere in the package (leaky: Debian moves it to /usr/share/doc).", func(f *facts) float64 { return b2f(f.files.readme) }),
		leaky("files_has_license", Bool, "A LICENSE/LICENCE/COPYING file anywhere in the package (leaky: Debian moves it to /usr/share/doc).", func(f *facts) float64 { return b2f(f.files.licenseFile != nil) }),
		leaky("files_has_tests", Bool, "Files whose role is test (leaky: sdists ship a tests folder that installs leave out).", func(f *facts) float64 { return b2f(f.files.tests) }),
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
			return b2f(f.inst.setupIncomplete)
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
	total          int
	bytes          int64
	maxDepth       int
	dirs           int
	count          map[dataset.Kind]int
	kindBytes      map[dataset.Kind]int64
	nativePrograms int
	pe             int
	extensions     int
	executable     int
	hidden         int
	readme         bool
	tests          bool
	licenseFile    *dataset.File
}

func newFileFacts(p *dataset.Package) fileFacts {
	ff := fileFacts{count: map[dataset.Kind]int{}, kindBytes: map[dataset.Kind]int64{}}
	dirs := map[string]bool{}
	for i := range p.Files {
		fl := &p.Files[i]
		module := fl.Role == dataset.RoleModule
		ext := module && fl.Kind == dataset.KindNative && isSharedLibrary(fl.Name())
		if module {
			ff.total++
			ff.bytes += fl.Size
			ff.maxDepth = max(ff.maxDepth, strings.Count(fl.ModPath, "/"))
			dirs[path.Dir(fl.ModPath)] = true
			ff.count[fl.Kind]++
			ff.kindBytes[fl.Kind] += fl.Size
		}
		if ext {
			ff.extensions++
		}
		// Test fixtures and doc assets may be binaries that installs leave out.
		dev := fl.Role == dataset.RoleTest || fl.Role == dataset.RoleDoc || fl.Role == dataset.RoleExample
		if fl.Kind == dataset.KindNative && !ext && !dev {
			ff.nativePrograms++
			if bytes.HasPrefix(fl.Data, []byte("MZ")) {
				ff.pe++
			}
		}
		if fl.Executable {
			ff.executable++
		}
		if fl.Hidden() {
			ff.hidden++
		}
		if fl.Role == dataset.RoleTest {
			ff.tests = true
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
	}
	ff.dirs = len(dirs)
	return ff
}

// isSharedLibrary: an extension module or bundled library by name
// (_speedups.cpython-311-x86_64-linux-gnu.so, libfoo.so.1, _x.pyd).
func isSharedLibrary(name string) bool {
	low := strings.ToLower(name)
	for _, ext := range []string{".so", ".pyd", ".dll", ".dylib"} {
		if strings.HasSuffix(low, ext) || strings.Contains(low, ext+".") {
			return true
		}
	}
	return false
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
