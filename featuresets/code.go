package featuresets

import (
	"math"
	"net"
	"net/url"
	"regexp"
	"strings"

	"pypimal/featuresets/pyast"
)

// scopeStats counts risky call sites in one scope.
type scopeStats struct {
	calls map[apiFamily]int
	total int
}

func (s *scopeStats) add(c *pyast.Call) {
	if s.calls == nil {
		s.calls = map[apiFamily]int{}
	}
	s.total++
	for _, fam := range callFamilies(c.Name, c.Attr) {
		s.calls[fam]++
	}
}

// codeFacts aggregates the pyast facts of every .py file of a package.
type codeFacts struct {
	pyFiles, truncated                                     int
	lines, errorNodes, filesWithErrors, py2                int
	functions, classes, imports, dynamicImports            int
	all                                                    scopeStats
	stringBytes, escapes, highEntropy, longBase64, longHex int
	maxEntropy                                             float64
	chrCalls, maxChrChain, nonASCIIIdent, zeroWidth, bidi  int
	longLines, maxLineLen, pyarmor                         int
	urls, ipURLs, ipLiterals, suspicious, execDecoded      int
	shellPayloads                                          int
	tokens                                                 map[string]int
	tokenCount                                             int
	findings                                               []Finding
	fallbacks                                              []FileFallback // files pyast analysed by its linear fallback
}

// Finding is a risky call site, kept so `scan` can say where a package
// does what (file and line).
type Finding struct {
	File    string
	Line    int
	Family  string
	Snippet string
}

func codeDefs() []def {
	d := func(name string, typ Type, doc string, f func(*facts) float64) def {
		return def{Feature{Name: name, Family: Code, Type: typ, Definition: doc}, f}
	}
	cnt := func(name, doc string, get func(*codeFacts) int) def {
		return d(name, Count, doc, func(f *facts) float64 { return float64(get(&f.code)) })
	}
	defs := []def{
		cnt("code_py_files", "Python source files analysed.", func(c *codeFacts) int { return c.pyFiles }),
		cnt("code_lines", "Lines of Python source.", func(c *codeFacts) int { return c.lines }),
		cnt("code_parse_errors", "Syntax-tree error nodes (ERROR and MISSING) over all files.", func(c *codeFacts) int { return c.errorNodes }),
		d("code_parse_error_ratio", Real, "Share of Python files with at least one syntax error.", func(f *facts) float64 {
			return ratio(f.code.filesWithErrors, f.code.pyFiles)
		}),
		cnt("code_py2_statements", "Python 2 print/exec statements.", func(c *codeFacts) int { return c.py2 }),
		cnt("code_functions", "Function definitions.", func(c *codeFacts) int { return c.functions }),
		cnt("code_classes", "Class definitions.", func(c *codeFacts) int { return c.classes }),
		cnt("code_imports", "Imported modules (import statements, counted per module).", func(c *codeFacts) int { return c.imports }),
		cnt("code_dynamic_imports", "__import__(\"m\") / importlib.import_module(\"m\") with a literal name.", func(c *codeFacts) int { return c.dynamicImports }),
		cnt("code_calls", "Call sites.", func(c *codeFacts) int { return c.all.total }),
	}
	for _, fam := range apiFamilies {
		fam := fam
		defs = append(defs, cnt("code_api_"+string(fam), "Call sites, whole package, of "+apiFamilyDoc[fam]+".", func(c *codeFacts) int { return c.all.calls[fam] }))
	}
	defs = append(defs,
		d("code_api_families", Count, "Distinct risky API families used anywhere in the package.", func(f *facts) float64 {
			n := 0
			for _, fam := range apiFamilies {
				if f.code.all.calls[fam] > 0 {
					n++
				}
			}
			return float64(n)
		}),
		cnt("code_exec_decoded", "exec/eval/compile whose argument decodes data (b64decode, decompress, marshal, fromhex, unhexlify, codecs).", func(c *codeFacts) int { return c.execDecoded }),
		d("code_max_string_entropy", Real, "Highest Shannon entropy (bits/byte) of a string literal of at least 20 bytes.", func(f *facts) float64 { return f.code.maxEntropy }),
		cnt("code_high_entropy_strings", "String literals of ≥ 40 bytes with entropy ≥ 4.8 bits/byte.", func(c *codeFacts) int { return c.highEntropy }),
		cnt("code_long_base64", "String literals of ≥ 100 characters drawn from the base64 alphabet (with letters and digits).", func(c *codeFacts) int { return c.longBase64 }),
		cnt("code_long_hex", "String literals of ≥ 64 hexadecimal digits.", func(c *codeFacts) int { return c.longHex }),
		d("code_escape_density", Real, "Escape sequences (\\x, \\u, \\N, octal) per 1,000 bytes of string literals.", func(f *facts) float64 {
			if f.code.stringBytes == 0 {
				return 0
			}
			return 1000 * float64(f.code.escapes) / float64(f.code.stringBytes)
		}),
		cnt("code_chr_calls", "chr(<integer literal>) calls.", func(c *codeFacts) int { return c.chrCalls }),
		cnt("code_max_chr_chain", "Longest chr(..)+chr(..) chain.", func(c *codeFacts) int { return c.maxChrChain }),
		cnt("code_non_ascii_identifiers", "Non-ASCII characters in identifiers.", func(c *codeFacts) int { return c.nonASCIIIdent }),
		cnt("code_invisible_chars", "Zero-width and bidirectional-control characters anywhere in the source.", func(c *codeFacts) int { return c.zeroWidth + c.bidi }),
		cnt("code_long_lines", "Lines longer than 500 characters.", func(c *codeFacts) int { return c.longLines }),
		cnt("code_max_line_len", "Longest line in characters.", func(c *codeFacts) int { return c.maxLineLen }),
		cnt("code_pyarmor", "PyArmor markers (__pyarmor__, pyarmor_runtime, from pytransform import).", func(c *codeFacts) int { return c.pyarmor }),
		cnt("code_urls", "http(s) URLs in string literals other than docstrings.", func(c *codeFacts) int { return c.urls }),
		cnt("code_ip_urls", "URLs whose host is a raw IP address (not loopback).", func(c *codeFacts) int { return c.ipURLs }),
		cnt("code_ip_literals", "String literals that are an IPv4 address or address:port (not loopback/unspecified).", func(c *codeFacts) int { return c.ipLiterals }),
		cnt("code_shell_payloads", "String literals holding a download-and-run or encoded shell command (powershell -EncodedCommand/-enc, cmd /c, curl|wget piped to a shell, /dev/tcp, certutil -urlcache, mshta, bitsadmin, nc -e).", func(c *codeFacts) int { return c.shellPayloads }),
		cnt("code_suspicious_endpoints", "Strings naming webhooks, paste, tunnel, file-drop, request-catcher or URL-shortener services.", func(c *codeFacts) int { return c.suspicious }),
	)
	return append(defs, fallbackFilesDef())
}

// hookCommands are the setup() commands whose override runs code on install.
var hookCommands = map[string]bool{"install": true, "develop": true, "egg_info": true, "build_py": true, "bdist_egg": true, "build_ext": false}

// addFile folds one analysed file into the package facts.
func (c *codeFacts) addFile(rel string, f *pyast.File) {
	c.pyFiles++
	if f.Truncated {
		c.truncated++
	}
	if f.Fallback != "" {
		c.fallbacks = append(c.fallbacks, FileFallback{Path: rel, Reason: f.Fallback})
	}
	c.lines += f.Lines
	c.errorNodes += f.ErrorNodes
	if f.HasError {
		c.filesWithErrors++
	}
	c.py2 += f.Py2Statements
	c.functions += len(f.Functions)
	c.classes += len(f.Classes)
	c.imports += len(f.Imports)
	for _, im := range f.Imports {
		if im.Dynamic {
			c.dynamicImports++
		}
	}
	o := f.Obfuscation
	c.escapes += o.HexEscapes + o.UnicodeEscapes + o.OctalEscapes + o.NamedEscapes
	c.chrCalls += o.ChrCalls
	c.maxChrChain = max(c.maxChrChain, o.MaxChrChain)
	c.nonASCIIIdent += o.NonASCIIIdentChars
	c.zeroWidth += o.ZeroWidthChars
	c.bidi += o.BidiChars
	c.pyarmor += o.PyArmorMarkers
	c.longLines += f.NumLongLines
	c.maxLineLen = max(c.maxLineLen, f.MaxLineLen)
	c.stringBytes += f.StringBytes

	for i := range f.Calls {
		call := &f.Calls[i]
		c.all.add(call)
		switch call.Name {
		case "exec", "eval", "compile":
			if decodesData(call.Snippet) {
				c.execDecoded++
			}
		}
		if fams := callFamilies(call.Name, call.Attr); len(fams) > 0 && len(c.findings) < maxFindings {
			c.findings = append(c.findings, Finding{File: rel, Line: call.Line, Family: string(fams[0]), Snippet: call.Snippet})
		}
	}
	for i := range f.Strings {
		c.addString(&f.Strings[i])
	}
	for _, id := range f.Identifiers {
		c.addTokens(id)
	}
	for _, s := range f.Strings {
		if !s.Bytes {
			c.addTokens(s.Value)
		}
	}
	for _, cm := range f.Comments {
		c.addTokens(cm)
	}
}

const maxFindings = 200

var decodeHints = []string{"b64decode", "decodebytes", "decompress", "marshal", "fromhex", "unhexlify", "codecs", "a85decode", "b32decode", "rot13", "rot_13"}

func decodesData(snippet string) bool {
	for _, h := range decodeHints {
		if strings.Contains(snippet, h) {
			return true
		}
	}
	return false
}

// setupIncomplete: setup.py has no setup() call, or one without name,
// version, or any of packages/py_modules/scripts/package_dir/ext_modules
// (and no **kwargs).
func setupIncomplete(f *pyast.File) bool {
	if len(f.SetupCalls) == 0 {
		return true
	}
	for _, sc := range f.SetupCalls {
		kw := map[string]bool{}
		for _, k := range sc.Keywords {
			kw[k] = true
		}
		if !sc.KwSplat && (!kw["name"] || !kw["version"] && !kw["use_scm_version"] ||
			!kw["packages"] && !kw["py_modules"] && !kw["scripts"] && !kw["package_dir"] && !kw["ext_modules"]) {
			return true
		}
	}
	return false
}

var urlRe = regexp.MustCompile(`https?://[^\s'"<>\\{}|^` + "`" + `]+`)

func (c *codeFacts) addString(s *pyast.String) {
	v := s.Value
	if n := len(v); n >= 20 {
		e := entropy(v)
		c.maxEntropy = math.Max(c.maxEntropy, e)
		if n >= 40 && e >= 4.8 {
			c.highEntropy++
		}
	}
	if len(v) >= 100 && isBase64(v) {
		c.longBase64++
	}
	if len(v) >= 64 && isHex(v) {
		c.longHex++
	}
	if isIPLiteral(v) {
		c.ipLiterals++
	}
	low := strings.ToLower(v)
	if isShellPayload(low) {
		c.shellPayloads++
	}
	for _, ep := range suspiciousEndpoints {
		if strings.Contains(low, ep) {
			c.suspicious++
			break
		}
	}
	if s.Doc || !strings.Contains(v, "http") {
		return
	}
	for _, u := range urlRe.FindAllString(v, 20) {
		c.urls++
		if pu, err := url.Parse(u); err == nil {
			if ip := net.ParseIP(pu.Hostname()); ip != nil && !ip.IsLoopback() && !ip.IsUnspecified() {
				c.ipURLs++
			}
		}
	}
}

// suspiciousEndpoints are services malware uses to exfiltrate data, fetch
// payloads or hide a server: webhooks, paste sites, tunnels, file drops,
// request catchers and URL shorteners.
var suspiciousEndpoints = []string{
	"discord.com/api/webhooks", "discordapp.com/api/webhooks", "canary.discord.com/api/webhooks", "api.telegram.org/bot",
	"hooks.slack.com", "webhook.site", "pipedream.net", "requestbin", "requestcatcher", "beeceptor.com", "hookbin.com",
	"burpcollaborator.net", "oastify.com", "interact.sh", "interactsh", "oast.fun", "oast.pro", "oast.live", "oast.site", "oast.me",
	"canarytokens", "dnslog.cn", "ceye.io",
	"pastebin.com", "paste.ee", "hastebin", "ghostbin", "rentry.co", "pastie.org", "dpaste",
	"ngrok.io", "ngrok-free.app", "ngrok.app", "trycloudflare.com", "serveo.net", "localtunnel.me", "loca.lt", "localhost.run",
	"transfer.sh", "anonfiles", "gofile.io", "file.io", "catbox.moe", "filebin", "cdn.discordapp.com/attachments",
	"bit.ly/", "tinyurl.com", "is.gd/", "cutt.ly", "rb.gy/", "shorturl.at",
}

// shellPayloadRe matches command lines that fetch or decode and then run
// something; low is lower-cased. Plain mentions of a shell ("bash", "sh")
// are too common in benign build code to count.
var shellPayloadRe = regexp.MustCompile(`powershell(\.exe)?\b.*\s-(e|ec|enc|encodedcommand)\s|` +
	`powershell(\.exe)?\b.*(downloadstring|downloadfile|invoke-expression|\biex\b|invoke-webrequest|-windowstyle\s+hidden)|` +
	`\bcmd(\.exe)?\s+/c\s|\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+)?(ba|z|da)?sh\b|/dev/tcp/|` +
	`certutil(\.exe)?\s+.*-urlcache|\bmshta(\.exe)?\s|bitsadmin(\.exe)?\s+/transfer|\bnc(at)?\s+(-\w+\s+)*-e\s`)

// shellHints are substrings every shellPayloadRe match contains; checking
// them first keeps the regular expression off ordinary strings.
var shellHints = []string{"powershell", "cmd", "curl", "wget", "/dev/tcp/", "certutil", "mshta", "bitsadmin", "nc ", "ncat"}

func isShellPayload(low string) bool {
	if len(low) < 8 || len(low) > 1<<16 {
		return false
	}
	for _, h := range shellHints {
		if strings.Contains(low, h) {
			return shellPayloadRe.MatchString(low)
		}
	}
	return false
}

func entropy(s string) float64 {
	var freq [256]int
	for i := 0; i < len(s); i++ {
		freq[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range freq {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

func isBase64(s string) bool {
	letters, digits := false, false
	for i := 0; i < len(s); i++ {
		switch b := s[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z':
			letters = true
		case b >= '0' && b <= '9':
			digits = true
		case b == '+' || b == '/' || b == '=' || b == '-' || b == '_' || b == '\n' || b == '\r':
		default:
			return false
		}
	}
	return letters && digits
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= '0' && b <= '9' || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F') {
			return false
		}
	}
	return true
}

func isIPLiteral(s string) bool {
	if len(s) < 7 || len(s) > 21 {
		return false
	}
	host := s
	if h, _, err := net.SplitHostPort(s); err == nil {
		host = h
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() == nil || strings.Count(host, ".") != 3 {
		return false
	}
	return !ip.IsLoopback() && !ip.IsUnspecified() && !ip.Equal(net.IPv4bcast)
}
