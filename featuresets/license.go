package featuresets

import "strings"

// licenseFamilies maps text that names a license to a family key. Order
// matters: more specific names come first (LGPL before GPL).
var licenseFamilies = []struct {
	family string
	needle []string
}{
	{"agpl", []string{"agpl", "affero"}},
	{"lgpl", []string{"lgpl", "lesser general public", "library general public"}},
	{"gpl", []string{"gpl", "general public license", "gnu general"}},
	{"apache", []string{"apache"}},
	{"mit", []string{"mit license", "expat", "the mit", "mit/x11", "\"mit\"", "mit-0"}},
	{"bsd", []string{"bsd", "redistribution and use in source and binary forms"}},
	{"mpl", []string{"mpl", "mozilla public"}},
	{"isc", []string{"isc license", "isc"}},
	{"psf", []string{"psf", "python software foundation"}},
	{"unlicense", []string{"unlicense", "unencumbered software released into the public domain"}},
	{"cc0", []string{"cc0", "creative commons zero"}},
	{"public-domain", []string{"public domain"}},
	{"zlib", []string{"zlib"}},
	{"epl", []string{"eclipse public"}},
	{"artistic", []string{"artistic"}},
	{"wtfpl", []string{"wtfpl", "do what the fuck"}},
	{"zpl", []string{"zope public", "zpl"}},
	{"hpnd", []string{"historical permission notice", "hpnd"}},
	{"cc-by", []string{"creative commons", "cc-by", "cc by"}},
	{"boost", []string{"boost software"}},
	{"proprietary", []string{"proprietary", "all rights reserved"}},
}

// licenseFamily names the family of a license field, classifier or text,
// or "" when none is recognised. "MIT" alone (the common field value) is
// matched exactly.
func licenseFamily(s string) string {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "" {
		return ""
	}
	if t == "mit" || strings.HasPrefix(t, "mit ") || strings.HasPrefix(t, "mit,") {
		return "mit"
	}
	if t == "bsd" || t == "isc" || t == "psf" || t == "mpl-2.0" {
		return licenseFamily(t + " license")
	}
	for _, lf := range licenseFamilies {
		for _, n := range lf.needle {
			if strings.Contains(t, n) {
				return lf.family
			}
		}
	}
	if strings.Contains(t, "permission is hereby granted, free of charge") {
		return "mit"
	}
	return ""
}

func anyKnownLicense(names []string) bool {
	for _, n := range names {
		if licenseFamily(n) != "" {
			return true
		}
	}
	return false
}

// licenseMismatch is true when two of the license sources (metadata field,
// classifiers, LICENSE file text) name different families. Sources that
// name none are ignored: an absent license is not a mismatch.
func licenseMismatch(field string, classifiers []string, fileText string) bool {
	var fams []string
	if f := licenseFamily(field); f != "" && len(field) < 200 {
		fams = append(fams, f)
	} else if len(field) >= 200 {
		// Some packages paste the whole license text into the field.
		if f := licenseFamily(head(field, 2000)); f != "" {
			fams = append(fams, f)
		}
	}
	for _, c := range classifiers {
		if f := licenseFamily(c); f != "" {
			fams = append(fams, f)
		}
	}
	if f := licenseFamily(head(fileText, 2000)); f != "" {
		fams = append(fams, f)
	}
	for _, f := range fams[min(1, len(fams)):] {
		if !compatibleFamilies(fams[0], f) {
			return true
		}
	}
	return false
}

// compatibleFamilies treats GPL-family variants as one: classifiers say
// "GPLv3+" where the text says "GNU General Public License".
func compatibleFamilies(a, b string) bool {
	if a == b {
		return true
	}
	gpl := map[string]bool{"gpl": true, "lgpl": true, "agpl": true}
	pd := map[string]bool{"public-domain": true, "unlicense": true, "cc0": true}
	return gpl[a] && gpl[b] || pd[a] && pd[b]
}

func head(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
