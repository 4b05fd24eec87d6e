package repack

import (
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// The install-file templates. Each is modelled on a shape many real
// projects on PyPI use; all are ordinary benign packaging code: they read
// files of the build tree, run git describe at most, and call setup().
// None fetches from the network, decodes and runs data, reads credentials,
// writes outside the build tree or overrides install/develop/egg_info.
const (
	TplClassic     = "setuptools-classic" // setup.py: find_packages, README via open/io.open/codecs.open, version by exec/regex, requirements.txt
	TplHumans      = "setup-for-humans"   // setup.py: the "setup.py for humans" template with publish / UploadCommand
	TplGitVersion  = "git-version"        // setup.py: version from git describe --tags with a PKG-INFO / literal fallback
	TplCExtension  = "c-extension"        // setup.py: optional C speedups (BuildFailed, ve_build_ext) and a PyTest command
	TplDeclarative = "declarative-cfg"    // setup.cfg [metadata]/[options] plus a setup() shim
	TplPEP621      = "pep621-pyproject"   // pyproject.toml only: setuptools>=61, hatchling, flit_core or poetry-core
	TplDistutils   = "distutils-legacy"   // Py2-era distutils.core.setup, README.txt, explicit packages
)

var templateNames = []string{TplClassic, TplHumans, TplGitVersion, TplCExtension, TplDeclarative, TplPEP621, TplDistutils}

// Templates lists the template names, for Options.Template.
func Templates() []string { return append([]string(nil), templateNames...) }

func knownTemplate(t string) bool {
	for _, n := range templateNames {
		if n == t {
			return true
		}
	}
	return false
}

// tdata is what a template renders from: the project info plus the choices
// drawn for this package and seed.
type tdata struct {
	*info
	Pkg         string // main import name
	IsPkg       bool
	Src         bool
	Packages    []string // top-level import packages
	Modules     []string // top-level .py modules
	Dotted      []string // every package, dotted, for distutils
	Readme      string   // README file name
	ReadmeType  string   // its content type
	PkgData     bool     // the packages carry non-Python files
	LicenseFile string

	// Choices.
	Read        int    // 0 open().read(), 1 io.open, 2 codecs.open
	Here        string // name of the "this folder" variable
	VersionFrom string // exec, regex or literal
	VersionFile string // path of the file the version is read from
	ReqFile     bool   // install_requires read from requirements.txt
	Publish     int    // humans: 1 sys.argv publish, 2 UploadCommand, 3 both
	Setuptools  bool   // distutils: try setuptools first
	ExtName     string // c-extension: dotted extension module
	ExtSource   string
	Backend     string // pep621: setuptools, hatchling, flit_core, poetry-core
	Dynamic     bool   // pep621: version read from the package (hatch)
	Universal   bool   // [bdist_wheel] universal = 1
	Isort       bool
	Shim        int // declarative: 0 setup(), 1 setuptools.setup() under __main__
}

var funcs = template.FuncMap{
	"py":   pyStr,
	"toml": tomlStr,
	"cfg":  cfgStr,
	"pyargs": func(p string) string {
		var parts []string
		for _, e := range strings.Split(p, "/") {
			parts = append(parts, pyStr(e))
		}
		return strings.Join(parts, ", ")
	},
	"slug": func(s string) string { return strings.ToLower(wheelSafe(s)) },
}

// pyStr is a single-quoted Python 3 string literal.
func pyStr(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\'':
			b.WriteString(`\'`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0xFFFD || r >= 0x80 && r < 0xA0 || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// tomlStr is a TOML basic string.
func tomlStr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '"':
			b.WriteString(`\"`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// cfgStr is a one-line setup.cfg value: setuptools reads it with an
// interpolating ConfigParser, so % is doubled.
func cfgStr(s string) string {
	return strings.ReplaceAll(oneLine(s), "%", "%%")
}

// tpl is parsed in init: its funcs refer to it.
var tpl *template.Template

var (
	reBareKey    = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	reBlankLines = regexp.MustCompile(`\n{4,}`)
)

// render runs a template; runs of blank lines left by skipped parts are
// cut to two, as PEP 8 has them.
func render(name string, d *tdata) (string, error) {
	var b strings.Builder
	if err := tpl.ExecuteTemplate(&b, name, d); err != nil {
		return "", fmt.Errorf("repack: template %s: %w", name, err)
	}
	return reBlankLines.ReplaceAllString(b.String(), "\n\n\n"), nil
}

// templateText holds every template. Sub-templates "kw-*" are setup()
// keyword arguments shared by the setup.py templates.
const templateText = `
{{- define "kw-meta" }}
{{- if .Summary}}
    description={{py .Summary}},
{{- end}}
{{- if .Email}}
    author={{py .Author}},
    author_email={{py .Email}},
{{- else}}
    author={{py .Author}},
{{- end}}
{{- if .URL}}
    url={{py .URL}},
{{- end}}
{{- if .License}}
    license={{py .License}},
{{- end}}
{{- if .Keywords}}
    keywords={{py (join .Keywords " ")}},
{{- end}}
{{- end}}

{{- define "kw-packages" }}
{{- if .Packages}}
{{- if .Src}}
    packages=find_packages('src', exclude=['tests', 'tests.*']),
    package_dir={'': 'src'},
{{- else}}
    packages=find_packages(exclude=['tests', 'tests.*', 'docs']),
{{- end}}
{{- else if .Src}}
    package_dir={'': 'src'},
{{- end}}
{{- if .Modules}}
    py_modules=[{{range $i, $m := .Modules}}{{if $i}}, {{end}}{{py $m}}{{end}}],
{{- end}}
{{- end}}

{{- define "kw-pkgdata" }}
{{- if .PkgData}}
    include_package_data=True,
{{- end}}
{{- end}}

{{- define "kw-deps" }}
{{- if .PythonRequires}}
    python_requires={{py .PythonRequires}},
{{- end}}
{{- if .ReqFile}}
    install_requires=install_requires,
{{- else if .Install}}
    install_requires=[
{{- range .Install}}
        {{py .}},
{{- end}}
    ],
{{- end}}
{{- if .Extras}}
    extras_require={
{{- range .Extras}}
        {{py .Name}}: [{{range $i, $r := .Reqs}}{{if $i}}, {{end}}{{py $r}}{{end}}],
{{- end}}
    },
{{- end}}
{{- if or .Scripts .GUIScripts}}
    entry_points={
{{- if .Scripts}}
        'console_scripts': [
{{- range .Scripts}}
            {{py (printf "%s = %s" .Name .Target)}},
{{- end}}
        ],
{{- end}}
{{- if .GUIScripts}}
        'gui_scripts': [
{{- range .GUIScripts}}
            {{py (printf "%s = %s" .Name .Target)}},
{{- end}}
        ],
{{- end}}
    },
{{- end}}
{{- end}}

{{- define "kw-classifiers" }}
    classifiers=[
{{- range .Classifiers}}
        {{py .}},
{{- end}}
    ],
{{- end}}

{{- define "read-helper" }}
{{- if eq .Read 0}}
def read(*parts):
    return open(os.path.join(os.path.dirname(__file__), *parts)).read()
{{- else if eq .Read 1}}
def read(*parts):
    with io.open(os.path.join({{.Here}}, *parts), encoding='utf-8') as f:
        return f.read()
{{- else}}
def read(*parts):
    with codecs.open(os.path.join({{.Here}}, *parts), 'r', 'utf-8') as fp:
        return fp.read()
{{- end}}
{{- end}}

{{- define "version-helper" }}
{{- if eq .VersionFrom "exec"}}
about = {}
with open(os.path.join({{.Here}}, {{pyargs .VersionFile}})) as f:
    exec(f.read(), about)
{{- else if eq .VersionFrom "regex"}}
def find_version(*file_paths):
    version_file = read(*file_paths)
    version_match = re.search(r"^__version__\s*=\s*['\"]([^'\"]*)['\"]",
                              version_file, re.M)
    if version_match:
        return version_match.group(1)
    raise RuntimeError('Unable to find version string.')
{{- end}}
{{- end}}

{{- define "version-expr" }}
{{- if eq .VersionFrom "exec"}}about['__version__']
{{- else if eq .VersionFrom "regex"}}find_version({{pyargs .VersionFile}})
{{- else}}{{py .Version}}{{end}}
{{- end}}

{{- define "setup-classic" -}}
#!/usr/bin/env python
# -*- coding: utf-8 -*-
{{- if eq .Read 1}}
import io
{{- else if eq .Read 2}}
import codecs
{{- end}}
import os
{{- if eq .VersionFrom "regex"}}
import re
{{- end}}

from setuptools import find_packages, setup
{{if or (ne .Read 0) (eq .VersionFrom "exec")}}
{{.Here}} = os.path.abspath(os.path.dirname(__file__))
{{end}}

{{template "read-helper" .}}

{{template "version-helper" .}}
{{if .ReqFile}}
with open(os.path.join(os.path.dirname(__file__), 'requirements.txt')) as f:
    install_requires = [line.strip() for line in f
                        if line.strip() and not line.startswith('#')]
{{end}}

setup(
    name={{py .Name}},
    version={{template "version-expr" .}},
{{- template "kw-meta" .}}
    long_description=read('{{.Readme}}'),
    long_description_content_type={{py .ReadmeType}},
{{- template "kw-packages" .}}
{{- template "kw-pkgdata" .}}
{{- template "kw-deps" .}}
    zip_safe=False,
{{- template "kw-classifiers" .}}
)
{{end}}

{{- define "setup-humans" -}}
#!/usr/bin/env python
# -*- coding: utf-8 -*-

# Note: To use the 'upload' functionality of this file, you must:
#   $ pipenv install twine --dev

import io
import os
import sys
from shutil import rmtree

from setuptools import find_packages, setup, Command

# Package meta-data.
NAME = {{py .Name}}
DESCRIPTION = {{py .Summary}}
URL = {{py .URL}}
EMAIL = {{py .Email}}
AUTHOR = {{py .Author}}
REQUIRES_PYTHON = {{py (or .PythonRequires ">=3.6.0")}}
VERSION = {{if eq .VersionFrom "exec"}}None{{else}}{{py .Version}}{{end}}

# What packages are required for this module to be executed?
REQUIRED = [
{{- range .Install}}
    {{py .}},
{{- end}}
]

# What packages are optional?
EXTRAS = {
{{- range .Extras}}
    {{py .Name}}: [{{range $i, $r := .Reqs}}{{if $i}}, {{end}}{{py $r}}{{end}}],
{{- end}}
}

# The rest you shouldn't have to touch too much :)
# ------------------------------------------------
# Except, perhaps the License and Trove Classifiers!
# If you do change the License, remember to change the Trove Classifier for that!

here = os.path.abspath(os.path.dirname(__file__))

# Import the README and use it as the long-description.
# Note: this will only work if '{{.Readme}}' is present in your MANIFEST.in file!
try:
    with io.open(os.path.join(here, '{{.Readme}}'), encoding='utf-8') as f:
        long_description = '\n' + f.read()
except FileNotFoundError:
    long_description = DESCRIPTION

# Load the package's __version__.py module as a dictionary.
about = {}
if not VERSION:
{{- if eq .VersionFrom "exec"}}
    with open(os.path.join(here, {{pyargs .VersionFile}})) as f:
        exec(f.read(), about)
{{- else}}
    project_slug = NAME.lower().replace("-", "_").replace(" ", "_")
    with open(os.path.join(here, project_slug, '__version__.py')) as f:
        exec(f.read(), about)
{{- end}}
else:
    about['__version__'] = VERSION
{{if or (eq .Publish 1) (eq .Publish 3)}}
# 'setup.py publish' shortcut.
if sys.argv[-1] == 'publish':
    os.system('python setup.py sdist upload')
    os.system('twine upload dist/*')
    sys.exit()
{{end}}
{{- if ge .Publish 2}}

class UploadCommand(Command):
    """Support setup.py upload."""

    description = 'Build and publish the package.'
    user_options = []

    @staticmethod
    def status(s):
        """Prints things in bold."""
        print('\033[1m{0}\033[0m'.format(s))

    def initialize_options(self):
        pass

    def finalize_options(self):
        pass

    def run(self):
        try:
            self.status('Removing previous builds…')
            rmtree(os.path.join(here, 'dist'))
        except OSError:
            pass

        self.status('Building Source and Wheel (universal) distribution…')
        os.system('{0} setup.py sdist bdist_wheel --universal'.format(sys.executable))

        self.status('Uploading the package to PyPI via Twine…')
        os.system('twine upload dist/*')

        self.status('Pushing git tags…')
        os.system('git tag v{0}'.format(about['__version__']))
        os.system('git push --tags')

        sys.exit()
{{end}}

# Where the magic happens:
setup(
    name=NAME,
    version=about['__version__'],
    description=DESCRIPTION,
    long_description=long_description,
    long_description_content_type={{py .ReadmeType}},
    author=AUTHOR,
    author_email=EMAIL,
    python_requires=REQUIRES_PYTHON,
    url=URL,
{{- template "kw-packages" .}}
{{- if or .Scripts .GUIScripts}}
    entry_points={
        'console_scripts': [
{{- range .Scripts}}
            {{py (printf "%s=%s" .Name .Target)}},
{{- end}}
        ],
    },
{{- else}}
    # entry_points={
    #     'console_scripts': ['mycli=mymodule:cli'],
    # },
{{- end}}
    install_requires=REQUIRED,
    extras_require=EXTRAS,
    include_package_data=True,
    license={{py (or .License "MIT")}},
{{- template "kw-classifiers" .}}
{{- if ge .Publish 2}}
    # $ setup.py publish support.
    cmdclass={
        'upload': UploadCommand,
    },
{{- end}}
)
{{end}}

{{- define "setup-git" -}}
#!/usr/bin/env python
import os
import subprocess

from setuptools import find_packages, setup

HERE = os.path.abspath(os.path.dirname(__file__))
FALLBACK_VERSION = {{py .Version}}


def get_version():
    """Version from PKG-INFO in a release, else from git, else the fallback."""
    pkg_info = os.path.join(HERE, 'PKG-INFO')
    if os.path.isfile(pkg_info):
        with open(pkg_info) as f:
            for line in f:
                if line.startswith('Version:'):
                    return line.split(':', 1)[1].strip()
    try:
        out = subprocess.check_output(['git', 'describe', '--tags'],
                                      cwd=HERE, stderr=subprocess.STDOUT)
    except (OSError, subprocess.CalledProcessError):
        return FALLBACK_VERSION
    version = out.decode('utf-8').strip()
    if version.startswith('v'):
        version = version[1:]
    # 1.2.3-4-gabcdef -> 1.2.3.post4
    parts = version.split('-')
    if len(parts) == 3:
        version = '{0}.post{1}'.format(parts[0], parts[1])
    return version


with open(os.path.join(HERE, '{{.Readme}}')) as f:
    long_description = f.read()

setup(
    name={{py .Name}},
    version=get_version(),
{{- template "kw-meta" .}}
    long_description=long_description,
    long_description_content_type={{py .ReadmeType}},
{{- template "kw-packages" .}}
{{- template "kw-pkgdata" .}}
{{- template "kw-deps" .}}
{{- template "kw-classifiers" .}}
)
{{end}}

{{- define "setup-cext" -}}
#!/usr/bin/env python
# -*- coding: utf-8 -*-
{{- if eq .Read 1}}
import io
{{- else if eq .Read 2}}
import codecs
{{- end}}
import os
{{- if eq .VersionFrom "regex"}}
import re
{{- end}}
import sys

from setuptools import Extension, find_packages, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.test import test as TestCommand
from distutils.errors import CCompilerError, DistutilsExecError, \
    DistutilsPlatformError

IS_PYPY = hasattr(sys, 'pypy_translation_info')
{{.Here}} = os.path.abspath(os.path.dirname(__file__))

{{template "read-helper" .}}

{{template "version-helper" .}}


class BuildFailed(Exception):
    pass


class ve_build_ext(build_ext):
    # This class allows C extension building to fail.

    def run(self):
        try:
            build_ext.run(self)
        except DistutilsPlatformError:
            raise BuildFailed()

    def build_extension(self, ext):
        try:
            build_ext.build_extension(self, ext)
        except (CCompilerError, DistutilsExecError, DistutilsPlatformError):
            raise BuildFailed()


class PyTest(TestCommand):
    user_options = [('pytest-args=', 'a', 'Arguments to pass to pytest')]

    def initialize_options(self):
        TestCommand.initialize_options(self)
        self.pytest_args = []

    def finalize_options(self):
        TestCommand.finalize_options(self)
        self.test_args = []
        self.test_suite = True

    def run_tests(self):
        import pytest
        errno = pytest.main(self.pytest_args)
        sys.exit(errno)


def run_setup(with_binary):
    cmdclass = dict(test=PyTest)
    if with_binary:
        kw = dict(
            ext_modules=[
                Extension({{py .ExtName}}, [{{py .ExtSource}}]),
            ],
            cmdclass=dict(cmdclass, build_ext=ve_build_ext),
        )
    else:
        kw = dict(cmdclass=cmdclass)

    setup(
        name={{py .Name}},
        version={{template "version-expr" .}},
        long_description=read('{{.Readme}}'),
        long_description_content_type={{py .ReadmeType}},
{{- nest "kw-meta" .}}
{{- nest "kw-packages" .}}
{{- nest "kw-pkgdata" .}}
{{- nest "kw-deps" .}}
        tests_require=['pytest'],
{{- nest "kw-classifiers" .}}
        **kw
    )


try:
    run_setup(not IS_PYPY)
except BuildFailed:
    BUILD_EXT_WARNING = ('WARNING: The C extension could not be compiled, '
                         'speedups are not enabled.')
    print('*' * 75)
    print(BUILD_EXT_WARNING)
    print('Failure information, if any, is above.')
    print("I'm retrying the build without the C extension now.")
    print('*' * 75)

    run_setup(False)

    print('*' * 75)
    print(BUILD_EXT_WARNING)
    print('Plain-Python installation succeeded.')
    print('*' * 75)
{{end}}

{{- define "cext-source" -}}
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Optional speedups. The package works without them. */

static PyMethodDef speedups_methods[] = {
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "{{extLeaf .ExtName}}",
    NULL,
    -1,
    speedups_methods
};

PyMODINIT_FUNC
PyInit_{{extLeaf .ExtName}}(void)
{
    return PyModule_Create(&speedups_module);
}
{{end}}

{{- define "setup-shim" -}}
{{- if eq .Shim 0 -}}
from setuptools import setup

setup()
{{else -}}
#!/usr/bin/env python
"""Setup shim: the configuration lives in setup.cfg."""
import setuptools

if __name__ == '__main__':
    setuptools.setup()
{{end}}
{{- end}}

{{- define "setup-cfg-declarative" -}}
[metadata]
name = {{cfg .Name}}
{{- if eq .VersionFrom "regex"}}
version = attr: {{.Pkg}}.__version__
{{- else}}
version = {{cfg .Version}}
{{- end}}
{{- if .Summary}}
description = {{cfg .Summary}}
{{- end}}
long_description = file: {{.Readme}}
long_description_content_type = {{.ReadmeType}}
author = {{cfg .Author}}
{{- if .Email}}
author_email = {{cfg .Email}}
{{- end}}
{{- if .URL}}
url = {{cfg .URL}}
{{- end}}
{{- if .License}}
license = {{cfg .License}}
license_files = {{.LicenseFile}}
{{- end}}
{{- if .Keywords}}
keywords = {{cfg (join .Keywords ", ")}}
{{- end}}
classifiers =
{{- range .Classifiers}}
    {{cfg .}}
{{- end}}

[options]
{{- if .Packages}}
packages = find:
{{- end}}
{{- if .Modules}}
py_modules =
{{- range .Modules}}
    {{.}}
{{- end}}
{{- end}}
{{- if .Src}}
package_dir =
    = src
{{- end}}
{{- if .PythonRequires}}
python_requires = {{cfg .PythonRequires}}
{{- end}}
{{- if .Install}}
install_requires =
{{- range .Install}}
    {{cfg .}}
{{- end}}
{{- end}}
include_package_data = True
zip_safe = False
{{- if .Packages}}

[options.packages.find]
{{- if .Src}}
where = src
{{- end}}
exclude =
    tests
    tests.*
{{- end}}
{{- if .Extras}}

[options.extras_require]
{{- range .Extras}}
{{.Name}} =
{{- range .Reqs}}
    {{cfg .}}
{{- end}}
{{- end}}
{{- end}}
{{- if or .Scripts .GUIScripts}}

[options.entry_points]
{{- if .Scripts}}
console_scripts =
{{- range .Scripts}}
    {{cfg .Name}} = {{cfg .Target}}
{{- end}}
{{- end}}
{{- if .GUIScripts}}
gui_scripts =
{{- range .GUIScripts}}
    {{cfg .Name}} = {{cfg .Target}}
{{- end}}
{{- end}}
{{- end}}
{{- if .Universal}}

[bdist_wheel]
universal = 1
{{- end}}

[flake8]
max-line-length = {{if .Isort}}88{{else}}100{{end}}
exclude = .git,__pycache__,build,dist,docs/conf.py

[tool:pytest]
testpaths = tests
addopts = -ra

[egg_info]
tag_build = 
tag_date = 0

{{end}}

{{- define "setup-cfg-extra" -}}
{{- if .Universal -}}
[bdist_wheel]
universal = 1

{{end -}}
{{- if .License -}}
[metadata]
license_file = {{.LicenseFile}}

{{end -}}
[egg_info]
tag_build = 
tag_date = 0

{{end}}

{{- define "pyproject-buildsystem" -}}
[build-system]
{{- if .Isort}}
requires = ["setuptools>=40.8.0", "wheel"]
build-backend = "setuptools.build_meta:__legacy__"
{{- else}}
requires = ["setuptools>=42", "wheel"]
build-backend = "setuptools.build_meta"
{{- end}}
{{end}}

{{- define "pyproject-pep621" -}}
[build-system]
{{- if eq .Backend "hatchling"}}
requires = ["hatchling"]
build-backend = "hatchling.build"
{{- else if eq .Backend "flit_core"}}
requires = ["flit_core >=3.2,<4"]
build-backend = "flit_core.buildapi"
{{- else if eq .Backend "poetry-core"}}
requires = ["poetry-core>=2.0.0,<3.0.0"]
build-backend = "poetry.core.masonry.api"
{{- else}}
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"
{{- end}}

[project]
name = {{toml .Name}}
{{- if .Dynamic}}
dynamic = ["version"]
{{- else}}
version = {{toml .Version}}
{{- end}}
{{- if .Summary}}
description = {{toml .Summary}}
{{- end}}
readme = {{toml .Readme}}
{{- if .PythonRequires}}
requires-python = {{toml .PythonRequires}}
{{- end}}
{{- if .License}}
license = { text = {{toml .License}} }
{{- end}}
authors = [
{{- if .Email}}
    { name = {{toml .Author}}, email = {{toml .Email}} },
{{- else}}
    { name = {{toml .Author}} },
{{- end}}
]
{{- if .Keywords}}
keywords = [{{range $i, $k := .Keywords}}{{if $i}}, {{end}}{{toml $k}}{{end}}]
{{- end}}
classifiers = [
{{- range .Classifiers}}
    {{toml .}},
{{- end}}
]
{{- if .Install}}
dependencies = [
{{- range .Install}}
    {{toml .}},
{{- end}}
]
{{- else}}
dependencies = []
{{- end}}
{{- if .Extras}}

[project.optional-dependencies]
{{- range .Extras}}
{{tomlKey .Name}} = [{{range $i, $r := .Reqs}}{{if $i}}, {{end}}{{toml $r}}{{end}}]
{{- end}}
{{- end}}
{{- if .URL}}

[project.urls]
Homepage = {{toml .URL}}
{{- end}}
{{- if .Scripts}}

[project.scripts]
{{- range .Scripts}}
{{tomlKey .Name}} = {{toml .Target}}
{{- end}}
{{- end}}
{{- if .GUIScripts}}

[project.gui-scripts]
{{- range .GUIScripts}}
{{tomlKey .Name}} = {{toml .Target}}
{{- end}}
{{- end}}
{{- if eq .Backend "hatchling"}}
{{- if .Dynamic}}

[tool.hatch.version]
path = {{toml .VersionFile}}
{{- end}}

[tool.hatch.build.targets.wheel]
{{- if .Modules}}
only-include = [{{range $i, $p := .Packages}}{{if $i}}, {{end}}{{toml (printf "%s%s" (srcPrefix $.Src) $p)}}{{end}}{{range $i, $m := .Modules}}{{if or $i $.Packages}}, {{end}}{{toml (printf "%s%s.py" (srcPrefix $.Src) $m)}}{{end}}]
{{- if .Src}}
sources = ["src"]
{{- end}}
{{- else}}
packages = [{{range $i, $p := .Packages}}{{if $i}}, {{end}}{{toml (printf "%s%s" (srcPrefix $.Src) $p)}}{{end}}]
{{- end}}
{{- else if eq .Backend "flit_core"}}
{{- if ne (slug .Name) .Pkg}}

[tool.flit.module]
name = {{toml .Pkg}}
{{- end}}
{{- else if eq .Backend "poetry-core"}}

[tool.poetry]
packages = [
{{- range .Packages}}
    { include = {{toml .}}{{if $.Src}}, from = "src"{{end}} },
{{- end}}
{{- range .Modules}}
    { include = {{toml (printf "%s.py" .)}}{{if $.Src}}, from = "src"{{end}} },
{{- end}}
]
{{- else}}
{{- if .Src}}

[tool.setuptools.packages.find]
where = ["src"]
{{- else if .Packages}}

[tool.setuptools.packages.find]
exclude = ["tests*", "docs*"]
{{- end}}
{{- if .Modules}}

[tool.setuptools]
py-modules = [{{range $i, $m := .Modules}}{{if $i}}, {{end}}{{toml $m}}{{end}}]
{{- end}}
{{- end}}

[tool.black]
line-length = 88
target-version = ["py38"]
{{- if .Isort}}

[tool.isort]
profile = "black"
{{- end}}

[tool.pytest.ini_options]
testpaths = ["tests"]
addopts = "-ra"
{{end}}

{{- define "setup-distutils" -}}
#!/usr/bin/env python
# -*- coding: utf-8 -*-
{{- if .Setuptools}}
try:
    from setuptools import setup
except ImportError:
    from distutils.core import setup
{{- else}}
from distutils.core import setup
{{- end}}

setup(
    name={{py .Name}},
    version={{py .Version}},
{{- template "kw-meta" .}}
    long_description=open('README.txt').read(),
{{- if .Dotted}}
    packages=[{{range $i, $p := .Dotted}}{{if $i}}, {{end}}{{py $p}}{{end}}],
{{- end}}
{{- if .Src}}
    package_dir={'': 'src'},
{{- end}}
{{- if .Modules}}
    py_modules=[{{range $i, $m := .Modules}}{{if $i}}, {{end}}{{py $m}}{{end}}],
{{- end}}
{{- if and .Setuptools .Install}}
    install_requires=[
{{- range .Install}}
        {{py .}},
{{- end}}
    ],
{{- end}}
{{- template "kw-classifiers" .}}
)
{{end}}
`

func init() {
	funcs["join"] = strings.Join
	funcs["tomlKey"] = func(s string) string {
		if reBareKey.MatchString(s) {
			return s
		}
		return tomlStr(s)
	}
	funcs["extLeaf"] = func(s string) string { return s[strings.LastIndexByte(s, '.')+1:] }
	funcs["srcPrefix"] = func(src bool) string {
		if src {
			return "src/"
		}
		return ""
	}
	// nest renders a sub-template made of "\n    line" pieces one level deeper.
	funcs["nest"] = func(name string, d *tdata) (string, error) {
		var b strings.Builder
		err := tpl.ExecuteTemplate(&b, name, d)
		return strings.ReplaceAll(b.String(), "\n", "\n    "), err
	}
	tpl = template.Must(template.New("").Funcs(funcs).Option("missingkey=error").Parse(templateText))
}
