package featuresets

import (
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// metaFacts are the parsed metadata facts the metadata family reads.
type metaFacts struct {
	present     bool
	authorEmail []string // addresses found in Author-email
	maintEmail  []string
	urls        []string // Home-page, Download-URL and Project-URL values
	homepage    string
	license     string
	licClassif  []string // "License :: OSI Approved :: MIT License" → "MIT License"
}

func metadataDefs() []def {
	m := func(name string, typ Type, doc string, f func(*facts) float64) def {
		return def{Feature{Name: name, Family: Metadata, Type: typ, Definition: doc}, f}
	}
	return []def{
		m("meta_present", Bool, "A PKG-INFO/METADATA file was found and parsed.", func(f *facts) float64 { return b2f(f.meta.present) }),
		m("meta_author_present", Bool, "Author or Author-email is non-empty (and not UNKNOWN).", func(f *facts) float64 {
			return b2f(known(f.pkgMeta("Author")) || known(f.pkgMeta("Author-email")))
		}),
		m("meta_author_email_present", Bool, "Author-email is non-empty.", func(f *facts) float64 { return b2f(known(f.pkgMeta("Author-email"))) }),
		m("meta_author_email_valid", Bool, "Author-email holds at least one syntactically valid address on a real-looking domain.", func(f *facts) float64 {
			return b2f(anyValidEmail(f.meta.authorEmail))
		}),
		m("meta_maintainer_email_valid", Bool, "Maintainer-email holds at least one syntactically valid address.", func(f *facts) float64 {
			return b2f(anyValidEmail(f.meta.maintEmail))
		}),
		m("meta_any_email_valid", Bool, "Author-email or Maintainer-email holds a valid address.", func(f *facts) float64 {
			return b2f(anyValidEmail(f.meta.authorEmail) || anyValidEmail(f.meta.maintEmail))
		}),
		m("meta_email_disposable", Bool, "An author/maintainer address is on a known disposable or throw-away mail domain.", func(f *facts) float64 {
			return b2f(anyDisposable(append(append([]string{}, f.meta.authorEmail...), f.meta.maintEmail...)))
		}),
		m("meta_homepage_present", Bool, "Home-page is non-empty (and not UNKNOWN).", func(f *facts) float64 { return b2f(known(f.meta.homepage)) }),
		m("meta_homepage_valid", Bool, "Home-page is an http(s) URL with a real host name (not an IP, localhost or example domain).", func(f *facts) float64 {
			return b2f(validURL(f.meta.homepage))
		}),
		m("meta_project_urls", Count, "Number of Project-URL fields.", func(f *facts) float64 { return float64(len(f.pkgMetaAll("Project-URL"))) }),
		m("meta_any_url_valid", Bool, "Home-page, Download-URL or a Project-URL is a valid http(s) URL.", func(f *facts) float64 {
			for _, u := range f.meta.urls {
				if validURL(u) {
					return 1
				}
			}
			return 0
		}),
		m("meta_url_code_host", Bool, "A metadata URL points to a code host (github.com, gitlab.com, bitbucket.org, codeberg.org, sourceforge).", func(f *facts) float64 {
			for _, u := range f.meta.urls {
				if isCodeHost(u) {
					return 1
				}
			}
			return 0
		}),
		m("meta_license_present", Bool, "License, License-Expression or a License classifier is given.", func(f *facts) float64 {
			return b2f(known(f.meta.license) || len(f.meta.licClassif) > 0)
		}),
		m("meta_license_known", Bool, "The license names a well-known license (SPDX id or common name), in the field or a classifier.", func(f *facts) float64 {
			return b2f(licenseFamily(f.meta.license) != "" || anyKnownLicense(f.meta.licClassif))
		}),
		m("meta_summary_len", Count, "Characters in Summary.", func(f *facts) float64 { return float64(runeLen(knownOrEmpty(f.pkgMeta("Summary")))) }),
		m("meta_description_len", Count, "Characters in the long description (Description field or message body).", func(f *facts) float64 {
			return float64(runeLen(knownOrEmpty(f.pkg.Meta.Description())))
		}),
		m("meta_description_lines", Count, "Lines in the long description.", func(f *facts) float64 {
			d := knownOrEmpty(f.pkg.Meta.Description())
			if d == "" {
				return 0
			}
			return float64(strings.Count(d, "\n") + 1)
		}),
		m("meta_description_has_url", Bool, "The long description contains an http(s) URL.", func(f *facts) float64 {
			return b2f(strings.Contains(f.pkg.Meta.Description(), "http"))
		}),
		m("meta_summary_equals_name", Bool, "Summary is empty or repeats the package name.", func(f *facts) float64 {
			s := strings.ToLower(strings.TrimSpace(knownOrEmpty(f.pkgMeta("Summary"))))
			return b2f(s == "" || s == strings.ToLower(f.pkgMeta("Name")))
		}),
		m("meta_classifiers", Count, "Number of Classifier fields.", func(f *facts) float64 { return float64(len(f.pkgMetaAll("Classifier"))) }),
		m("meta_requires", Count, "Number of Requires-Dist (or Requires) fields.", func(f *facts) float64 {
			return float64(len(f.pkgMetaAll("Requires-Dist")) + len(f.pkgMetaAll("Requires")))
		}),
		m("meta_requires_python", Bool, "Requires-Python is given.", func(f *facts) float64 { return b2f(known(f.pkgMeta("Requires-Python"))) }),
		m("meta_keywords", Count, "Number of keywords (comma or space separated).", func(f *facts) float64 {
			return float64(len(strings.FieldsFunc(knownOrEmpty(f.pkgMeta("Keywords")), func(r rune) bool { return r == ',' || unicode.IsSpace(r) })))
		}),
		m("meta_version_zero", Bool, "Version is 0, 0.0, 0.0.0 or 0.0.1 (placeholder versions).", func(f *facts) float64 {
			v := strings.TrimSpace(f.version())
			return b2f(v == "0" || v == "0.0" || v == "0.0.0" || v == "0.0.1")
		}),
		m("meta_version_major_high", Bool, "Major version ≥ 99, as used by dependency-confusion uploads.", func(f *facts) float64 {
			return b2f(majorVersion(f.version()) >= 99)
		}),
		m("meta_version_pep440", Bool, "Version is a valid PEP 440 public version.", func(f *facts) float64 { return b2f(pep440.MatchString(strings.TrimSpace(f.version()))) }),
		m("meta_name_len", Count, "Characters in the distribution name.", func(f *facts) float64 { return float64(runeLen(f.name())) }),
		m("meta_name_digits", Count, "Digits in the distribution name.", func(f *facts) float64 { return float64(countRunes(f.name(), unicode.IsDigit)) }),
		m("meta_name_separators", Count, "Hyphens, underscores and dots in the distribution name.", func(f *facts) float64 {
			return float64(strings.Count(f.name(), "-") + strings.Count(f.name(), "_") + strings.Count(f.name(), "."))
		}),
		m("meta_name_upper", Bool, "The distribution name has an upper-case letter.", func(f *facts) float64 { return b2f(countRunes(f.name(), unicode.IsUpper) > 0) }),
		m("meta_fields", Count, "Number of core descriptive header fields (Name, Version, Summary, Home-page, Download-URL, Author, Author-email, Maintainer, Maintainer-email, License, Keywords, Classifier, Requires-Dist, Requires-Python, Project-URL, Provides-Extra; not the fields that the packaging tool's version adds, such as Metadata-Version, License-File or Platform).", func(f *facts) float64 {
			if f.pkg.Meta == nil {
				return 0
			}
			n := 0
			for _, fl := range f.pkg.Meta.Fields {
				if coreFields[strings.ToLower(fl.Name)] {
					n++
				}
			}
			return float64(n)
		}),
	}
}

// coreFields are the metadata fields a project writes itself, the same in
// PKG-INFO, METADATA and an egg-info PKG-INFO.
var coreFields = map[string]bool{
	"name": true, "version": true, "summary": true, "home-page": true, "download-url": true,
	"author": true, "author-email": true, "maintainer": true, "maintainer-email": true,
	"license": true, "keywords": true, "classifier": true, "requires-dist": true,
	"requires-python": true, "project-url": true, "provides-extra": true,
}

func (f *facts) pkgMeta(name string) string      { return f.pkg.Meta.Get(name) }
func (f *facts) pkgMetaAll(name string) []string { return f.pkg.Meta.All(name) }

// name is the distribution name from the metadata, else the manifest's.
func (f *facts) name() string {
	if n := strings.TrimSpace(f.pkgMeta("Name")); n != "" {
		return n
	}
	return f.pkg.Row.Name
}

func (f *facts) version() string {
	if v := strings.TrimSpace(f.pkgMeta("Version")); v != "" {
		return v
	}
	return f.pkg.Row.Version
}

func newMetaFacts(f *facts) metaFacts {
	md := f.pkg.Meta
	if md == nil {
		return metaFacts{}
	}
	mf := metaFacts{present: true}
	mf.authorEmail = emails(md.Get("Author-email"))
	mf.maintEmail = emails(md.Get("Maintainer-email"))
	mf.homepage = strings.TrimSpace(md.Get("Home-page"))
	for _, u := range append([]string{md.Get("Home-page"), md.Get("Download-URL")}, md.All("Project-URL")...) {
		// Project-URL is "label, url".
		if i := strings.LastIndex(u, ","); i >= 0 && strings.Contains(u[i:], "://") {
			u = u[i+1:]
		}
		if u = strings.TrimSpace(u); known(u) {
			mf.urls = append(mf.urls, u)
		}
	}
	mf.license = strings.TrimSpace(md.Get("License-Expression"))
	if mf.license == "" {
		mf.license = strings.TrimSpace(md.Get("License"))
	}
	for _, c := range md.All("Classifier") {
		if rest, ok := strings.CutPrefix(c, "License ::"); ok {
			parts := strings.Split(rest, "::")
			mf.licClassif = append(mf.licClassif, strings.TrimSpace(parts[len(parts)-1]))
		}
	}
	return mf
}

// known is false for empty values and the "UNKNOWN"/"None" placeholders
// that old setuptools wrote for missing fields.
func known(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && !strings.EqualFold(s, "UNKNOWN") && !strings.EqualFold(s, "None")
}

func knownOrEmpty(s string) string {
	if known(s) {
		return s
	}
	return ""
}

// emails extracts the addresses of an Author-email field, which may be a
// list of "Name <addr>" entries.
func emails(field string) []string {
	field = strings.TrimSpace(field)
	if !known(field) {
		return nil
	}
	if list, err := mail.ParseAddressList(field); err == nil {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.Address
		}
		return out
	}
	var out []string
	for _, part := range strings.FieldsFunc(field, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) }) {
		part = strings.Trim(part, "<>\"'()")
		if strings.Contains(part, "@") {
			out = append(out, part)
		}
	}
	return out
}

var emailRe = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$`)

// placeholderDomains are domains that never receive mail.
var placeholderDomains = []string{"example.com", "example.org", "example.net", "test.com", "domain.com", "email.com", "mail.com", "xxx.com", "localhost"}

func validEmail(addr string) bool {
	if !emailRe.MatchString(addr) {
		return false
	}
	domain := strings.ToLower(addr[strings.LastIndexByte(addr, '@')+1:])
	for _, p := range placeholderDomains {
		if domain == p {
			return false
		}
	}
	return true
}

func anyValidEmail(addrs []string) bool {
	for _, a := range addrs {
		if validEmail(a) {
			return true
		}
	}
	return false
}

// disposableDomains are throw-away mail services seen in malware uploads.
var disposableDomains = []string{"mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.com", "temp-mail.org",
	"yopmail.com", "sharklasers.com", "trashmail.com", "getnada.com", "dispostable.com", "maildrop.cc", "mohmal.com",
	"emailondeck.com", "fakeinbox.com", "throwawaymail.com", "mailnesia.com", "tutanota.com", "proton.me", "protonmail.com",
	"cock.li", "onionmail.org", "firemail.cc"}

func anyDisposable(addrs []string) bool {
	for _, a := range addrs {
		i := strings.LastIndexByte(a, '@')
		if i < 0 {
			continue
		}
		d := strings.ToLower(a[i+1:])
		for _, x := range disposableDomains {
			if d == x {
				return true
			}
		}
	}
	return false
}

var hostRe = regexp.MustCompile(`^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$`)

// validURL is true for http(s) URLs whose host is a real-looking domain.
func validURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := strings.ToLower(u.Hostname())
	if host == "" || net.ParseIP(host) != nil || !hostRe.MatchString(host) {
		return false
	}
	for _, p := range placeholderDomains {
		if host == p || strings.HasSuffix(host, "."+p) {
			return false
		}
	}
	return true
}

func isCodeHost(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return false
	}
	host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	switch host {
	case "github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sourceforge.net", "sr.ht", "git.sr.ht", "launchpad.net":
		return true
	}
	return strings.HasSuffix(host, ".github.io") || strings.HasSuffix(host, ".readthedocs.io")
}

var pep440 = regexp.MustCompile(`^v?([0-9]+!)?[0-9]+(\.[0-9]+)*((a|b|rc|alpha|beta|c|pre|preview)[.-_]?[0-9]*)?([.-_]?(post|rev|r)[.-_]?[0-9]*|-[0-9]+)?([.-_]?dev[.-_]?[0-9]*)?$`)

func majorVersion(v string) int {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	end := 0
	for end < len(v) && v[end] >= '0' && v[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(v[:min(end, 9)])
	if err != nil {
		return -1
	}
	return n
}

func runeLen(s string) int { return len([]rune(s)) }

func countRunes(s string, pred func(rune) bool) int {
	n := 0
	for _, r := range s {
		if pred(r) {
			n++
		}
	}
	return n
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
