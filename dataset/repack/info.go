package repack

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
)

// info is what the templates say about the project, taken from the
// metadata (and the metadata folder's requires.txt / entry_points.txt)
// with the seed's choices for the parts real projects vary.
type info struct {
	Name, Version  string
	Summary        string
	Author, Email  string
	URL            string
	License        string // License field, "" when absent/UNKNOWN
	LicenseFamily  string // MIT, BSD, Apache-2.0 or ""
	Keywords       []string
	Classifiers    []string
	Install        []string
	Extras         []extra
	PythonRequires string
	Scripts        []script // console_scripts
	GUIScripts     []script
	Markdown       bool
	Description    string // long description, "" when none
	Year           int
}

type extra struct {
	Name string
	Reqs []string
}

type script struct{ Name, Target string }

func newInfo(s *source, r *rand.Rand) *info {
	m := s.p.Meta
	in := &info{Name: s.name, Version: s.version}
	clean := func(v string) string {
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, "UNKNOWN") || strings.EqualFold(v, "none") {
			return ""
		}
		return v
	}
	in.Summary = oneLine(clean(m.Get("Summary")))
	in.Author = oneLine(clean(m.Get("Author")))
	if in.Author == "" {
		in.Author = oneLine(clean(m.Get("Maintainer")))
	}
	in.Email = oneLine(clean(m.Get("Author-email")))
	if in.Email == "" {
		in.Email = oneLine(clean(m.Get("Maintainer-email")))
	}
	// Metadata 2.1+ writes "Name <addr>, Other <addr>": split the first.
	if name, addr, ok := strings.Cut(in.Email, "<"); ok {
		addr, _, _ = strings.Cut(addr, ">")
		if in.Author == "" {
			in.Author = strings.Trim(strings.TrimSpace(name), `"`)
		}
		in.Email = strings.TrimSpace(addr)
	}
	if i := strings.IndexByte(in.Email, ','); i >= 0 {
		in.Email = strings.TrimSpace(in.Email[:i])
	}
	if in.Author == "" {
		in.Author = "The " + s.name + " developers"
	}
	in.URL = oneLine(clean(m.Get("Home-page")))
	if in.URL == "" {
		for _, u := range m.All("Project-URL") {
			if _, v, ok := strings.Cut(u, ","); ok && strings.HasPrefix(strings.TrimSpace(v), "http") {
				in.URL = strings.TrimSpace(v)
				break
			}
		}
	}
	in.License = oneLine(clean(m.Get("License")))
	if len(in.License) > 80 { // a whole license text pasted into the field
		in.License = ""
	}
	for _, c := range m.All("Classifier") {
		if c = oneLine(c); c != "" {
			in.Classifiers = append(in.Classifiers, c)
		}
	}
	in.LicenseFamily = licenseFamily(in.License, in.Classifiers)
	if in.License == "" && in.LicenseFamily != "" {
		in.License = in.LicenseFamily
	}
	if len(in.Classifiers) == 0 {
		in.Classifiers = defaultClassifiers(in.LicenseFamily, r)
	}
	in.Keywords = append(in.Keywords, strings.FieldsFunc(clean(m.Get("Keywords")), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' })...)
	in.PythonRequires = oneLine(clean(m.Get("Requires-Python")))
	in.Install, in.Extras = requirements(s)
	in.Scripts, in.GUIScripts = entryPoints(s)
	ct := strings.ToLower(m.Get("Description-Content-Type"))
	in.Description = strings.TrimSpace(m.Description())
	if strings.EqualFold(in.Description, "UNKNOWN") {
		in.Description = ""
	}
	in.Markdown = strings.Contains(ct, "markdown") ||
		(!strings.Contains(ct, "rst") && (strings.HasPrefix(in.Description, "#") || strings.Contains(in.Description, "\n## ")))
	in.Year = 2012 + r.IntN(12)
	return in
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var spdx = []struct{ family, needle string }{
	{"Apache-2.0", "apache"},
	{"MIT", "mit"},
	{"BSD", "bsd"},
}

// licenseFamily names MIT, BSD or Apache-2.0 from the License field or the
// license classifiers, else "".
func licenseFamily(lic string, classifiers []string) string {
	cands := []string{lic}
	for _, c := range classifiers {
		if strings.HasPrefix(c, "License ::") {
			cands = append(cands, c)
		}
	}
	for _, c := range cands {
		words := strings.FieldsFunc(strings.ToLower(c), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		})
		for _, l := range spdx {
			for _, w := range words {
				if w == l.needle {
					return l.family
				}
			}
		}
	}
	return ""
}

func defaultClassifiers(family string, r *rand.Rand) []string {
	out := []string{"Development Status :: " + []string{"3 - Alpha", "4 - Beta", "5 - Production/Stable"}[r.IntN(3)],
		"Intended Audience :: Developers"}
	switch family {
	case "MIT":
		out = append(out, "License :: OSI Approved :: MIT License")
	case "BSD":
		out = append(out, "License :: OSI Approved :: BSD License")
	case "Apache-2.0":
		out = append(out, "License :: OSI Approved :: Apache Software License")
	}
	out = append(out, "Operating System :: OS Independent", "Programming Language :: Python", "Programming Language :: Python :: 3")
	first := 6 + r.IntN(3)
	for v := first; v <= 11; v++ {
		out = append(out, fmt.Sprintf("Programming Language :: Python :: 3.%d", v))
	}
	return out
}

var reExtraMarker = regexp.MustCompile(`^\s*extra\s*==\s*['"]([^'"]+)['"]\s*$`)

// requirements returns install_requires and extras_require, from the
// metadata folder's requires.txt when there is one (setuptools' own
// record), else from Requires-Dist.
func requirements(s *source) ([]string, []extra) {
	var install []string
	extras := map[string][]string{}
	var order []string
	ensure := func(name string) {
		if _, ok := extras[name]; !ok {
			order = append(order, name)
			extras[name] = nil
		}
	}
	addExtra := func(name, req string) {
		ensure(name)
		extras[name] = append(extras[name], req)
	}
	if f := s.metaFile("requires.txt"); f != nil {
		section, marker := "", ""
		for _, line := range strings.Split(string(f.Data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
				section, marker, _ = strings.Cut(line[1:len(line)-1], ":")
				if section != "" {
					ensure(section)
				}
				continue
			}
			req := line
			if marker != "" {
				req += "; " + marker
			}
			if section == "" {
				install = append(install, req)
			} else {
				addExtra(section, req)
			}
		}
	} else {
		for _, rd := range s.p.Meta.All("Requires-Dist") {
			req, marker, _ := strings.Cut(oneLine(rd), ";")
			req, marker = strings.TrimSpace(req), strings.TrimSpace(marker)
			if mm := reExtraMarker.FindStringSubmatch(marker); mm != nil {
				addExtra(mm[1], req)
				continue
			}
			if before, name, ok := cutExtra(marker); ok {
				addExtra(name, req+"; "+before)
				continue
			}
			if marker != "" {
				req += "; " + marker
			}
			install = append(install, req)
		}
	}
	out := make([]extra, 0, len(order))
	for _, n := range order {
		out = append(out, extra{Name: n, Reqs: extras[n]})
	}
	return install, out
}

var reAndExtra = regexp.MustCompile(`^\(?(.*?)\)?\s+and\s+extra\s*==\s*['"]([^'"]+)['"]\s*$`)

// cutExtra splits `python_version < "3.8" and extra == "x"`.
func cutExtra(marker string) (string, string, bool) {
	m := reAndExtra.FindStringSubmatch(marker)
	if m == nil {
		return "", "", false
	}
	return strings.TrimSpace(m[1]), m[2], true
}

// entryPoints reads console and GUI scripts from the metadata folder's
// entry_points.txt.
func entryPoints(s *source) (console, gui []script) {
	f := s.metaFile("entry_points.txt")
	if f == nil {
		return nil, nil
	}
	section := ""
	for _, line := range strings.Split(string(f.Data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		name, target, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		sc := script{strings.TrimSpace(name), strings.TrimSpace(target)}
		if sc.Name == "" || sc.Target == "" {
			continue
		}
		switch section {
		case "console_scripts":
			console = append(console, sc)
		case "gui_scripts":
			gui = append(gui, sc)
		}
	}
	return console, gui
}

// readme is the README text from the summary and the long description.
func (in *info) readme() string {
	var b strings.Builder
	title := in.Name
	if in.Markdown {
		fmt.Fprintf(&b, "# %s\n\n", title)
	} else {
		fmt.Fprintf(&b, "%s\n%s\n\n", title, strings.Repeat("=", len(title)))
	}
	if in.Summary != "" {
		b.WriteString(in.Summary + "\n\n")
	}
	if in.Description != "" {
		d := in.Description
		// Most long descriptions already open with the project title.
		if strings.HasPrefix(d, title) || strings.HasPrefix(d, "# ") || strings.HasPrefix(d, "=") {
			b.Reset()
		}
		b.WriteString(d + "\n")
	}
	return b.String()
}

// licenseText is a short text of the license family.
func (in *info) licenseText() string {
	holder := in.Author
	switch in.LicenseFamily {
	case "MIT":
		return fmt.Sprintf(mitText, in.Year, holder)
	case "BSD":
		return fmt.Sprintf(bsdText, in.Year, holder)
	case "Apache-2.0":
		return fmt.Sprintf(apacheText, in.Year, holder)
	}
	lic := in.License
	if lic == "" {
		lic = "the license stated in the package metadata"
	}
	return fmt.Sprintf(genericText, in.Year, holder, in.Name, lic)
}

const mitText = `MIT License

Copyright (c) %d %s

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
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`

const bsdText = `BSD 3-Clause License

Copyright (c) %d, %s
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
`

const apacheText = `Copyright %d %s

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
`

const genericText = `Copyright (c) %d %s

%s is distributed under the terms of %s.

This program is distributed in the hope that it will be useful, but WITHOUT
ANY WARRANTY; without even the implied warranty of MERCHANTABILITY or FITNESS
FOR A PARTICULAR PURPOSE. See the license for more details.
`
