package featuresets

import (
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"pypimal/featuresets/pyast"
)

// installFacts aggregate the Python files whose role is install (setup.py,
// versioneer.py, in-tree build backends…): the code that runs when a
// package is built or installed.
//
// The non-leaky features count behaviours that are suspicious in
// themselves. They never count presence, size, the packaging lexicon or
// the ordinary patterns of benign setup code (reading the README or a
// version file, exec of a version file, upload helpers that call twine,
// git describe, build_ext subclasses): the benign side of the training
// data is Debian's installed form, which has no install files, so any
// feature that ordinary install code sets would teach the model the form.
// The re-packing tests check that the ordinary templates set none of them.
type installFacts struct {
	network, shellPayloads, execFetched   int
	credentials, secretNames, persistence int
	endpoints, hookRuns, encoded          int
	all                                   scopeStats // leaky: every call
	cmdclassHooks, hookClasses            int        // leaky: lexicon of setup()
	setupIncomplete                       bool
	findings                              []Finding
	// metaText is the package's own metadata text, lower-cased (version,
	// name, summary, keywords, description, URLs, e-mails): setup.py
	// repeats it; "4.16.0.0" in setup.py is not an address, and a package
	// named python-crontab or described as managing authorized_keys does
	// not persist anything by saying so.
	metaText string
}

func installDefs() []def {
	d := func(name string, doc string, get func(*installFacts) int) def {
		return def{Feature{Name: name, Family: Install, Type: Count, Definition: doc}, func(f *facts) float64 { return float64(get(&f.inst)) }}
	}
	leaky := func(name string, doc string, get func(*installFacts) int) def {
		x := d(name, doc+" Leaky: counts ordinary setup code too.", get)
		x.Leaky = true
		return x
	}
	defs := []def{
		d("install_network", "Network calls in install code (socket, urllib.request, requests, http.client, .urlopen, .connect…; not urllib.parse or socket.gethostname).", func(c *installFacts) int { return c.network }),
		d("install_shell_payloads", "String literals in install code holding a download-and-run or encoded shell command (as code_shell_payloads).", func(c *installFacts) int { return c.shellPayloads }),
		d("install_exec_decoded", "exec/eval/compile in install code whose argument decodes or fetches data (b64decode, decompress, marshal, fromhex, urlopen, requests…); exec(open(f).read()) is not counted.", func(c *installFacts) int { return c.execFetched }),
		d("install_credential_paths", "String literals (of at most 512 bytes) in install code naming credential, token, browser or wallet stores (.ssh/id_rsa, .aws/credentials, .git-credentials, Login Data, Local State, leveldb, wallet.dat, /etc/shadow…).", func(c *installFacts) int { return c.credentials }),
		d("install_secret_names", "String literals in install code that name a secret environment variable (…TOKEN, …SECRET…, …PASSWORD, …API_KEY, AWS_ACCESS_KEY_ID…).", func(c *installFacts) int { return c.secretNames }),
		d("install_persistence_paths", "String literals (of at most 512 bytes) in install code naming places outside the build tree used to persist or autostart code (.bashrc, .profile, crontab, LaunchAgents, CurrentVersion\\Run, Start Menu\\Programs\\Startup, systemd units, rc.local).", func(c *installFacts) int { return c.persistence }),
		d("install_suspicious_hosts", "String literals (of at most 512 bytes) in install code naming webhooks, paste, tunnel, file-drop, request-catcher or URL-shortener services, or URLs and addresses on a raw IP.", func(c *installFacts) int { return c.endpoints }),
		d("install_hook_runs", "Subclasses of the install, develop, egg_info or bdist_egg commands whose methods start processes, use the network, execute or decode code, or call native APIs.", func(c *installFacts) int { return c.hookRuns }),
		d("install_encoded_blobs", "Obfuscated payloads in install code: string literals of ≥ 100 base64 or ≥ 64 hex characters, and chr() chains of ≥ 10 (not entropy: code templates such as versioneer's reach 5 bits/byte).", func(c *installFacts) int { return c.encoded }),
	}
	for _, fam := range apiFamilies {
		fam := fam
		defs = append(defs, leaky("setup_api_"+string(fam), "Call sites in install code of the "+string(fam)+" family.", func(c *installFacts) int { return c.all.calls[fam] }))
	}
	defs = append(defs,
		leaky("setup_calls", "Call sites in install code.", func(c *installFacts) int { return c.all.total }),
		leaky("setup_cmdclass_hooks", "setup(cmdclass=…) entries overriding install, develop, egg_info, build_py or bdist_egg.", func(c *installFacts) int { return c.cmdclassHooks }),
		leaky("setup_hook_classes", "Classes in install code deriving from setuptools/distutils install, develop or egg_info commands.", func(c *installFacts) int { return c.hookClasses }),
	)
	return defs
}

// hookBases are the commands whose subclass runs on pip install.
var hookBases = map[string]bool{"install": true, "develop": true, "egg_info": true, "bdist_egg": true, "_install": true, "_develop": true, "_egg_info": true}

// runFamilies make a hook class's method a behaviour rather than a build
// step.
var runFamilies = map[apiFamily]bool{apiProcess: true, apiNetwork: true, apiExec: true, apiDecode: true, apiNative: true}

func (c *installFacts) addFile(rel string, f *pyast.File) {
	hooks := map[string]bool{}
	for _, cl := range f.Classes {
		for _, b := range cl.Bases {
			last := b[strings.LastIndexByte(b, '.')+1:]
			if hookBases[last] {
				hooks[qualName(cl.Scope, cl.Name)] = true
				c.hookClasses++
				break
			}
		}
	}
	hookHit := map[string]bool{}
	for i := range f.Calls {
		call := &f.Calls[i]
		c.all.add(call)
		fams := callFamilies(call.Name, call.Attr)
		if isNetworkFetch(call.Name, fams) {
			c.network++
		}
		switch call.Name {
		case "exec", "eval", "compile":
			if decodesData(call.Snippet) || fetchesData(call.Snippet) {
				c.execFetched++
			}
		}
		if cls := enclosingClass(call.Scope, hooks); cls != "" && !hookHit[cls] {
			for _, fam := range fams {
				if runFamilies[fam] {
					hookHit[cls] = true
					c.hookRuns++
					break
				}
			}
		}
		if len(fams) > 0 && len(c.findings) < maxFindings {
			c.findings = append(c.findings, Finding{File: rel, Line: call.Line, Family: string(fams[0]), Snippet: call.Snippet})
		}
	}
	for i := range f.Strings {
		c.addString(&f.Strings[i])
	}
	if f.Obfuscation.MaxChrChain >= 10 {
		c.encoded++
	}
	for _, sc := range f.SetupCalls {
		for _, cc := range sc.CmdClass {
			if hookCommands[cc.Command] {
				c.cmdclassHooks++
			}
		}
	}
	if rel == "setup.py" {
		c.setupIncomplete = setupIncomplete(f)
	}
}

func qualName(scope, name string) string {
	if scope == "" {
		return name
	}
	return scope + "." + name
}

// enclosingClass returns the hook class a call's scope lies in, or "".
func enclosingClass(scope string, hooks map[string]bool) string {
	for s := scope; s != ""; {
		if hooks[s] {
			return s
		}
		i := strings.LastIndexByte(s, '.')
		if i < 0 {
			break
		}
		s = s[:i]
	}
	return ""
}

// isNetworkFetch: a network-family call that talks to another host. URL
// parsing and the local host name are not.
func isNetworkFetch(name string, fams []apiFamily) bool {
	// urlopen(u).read() is one fetch, not two.
	if !slices.Contains(fams, apiNetwork) || strings.Contains(name, "()") {
		return false
	}
	switch {
	case strings.HasPrefix(name, "urllib.parse"), strings.HasPrefix(name, "urlparse"),
		name == "socket.gethostname", name == "socket.getfqdn",
		strings.HasPrefix(name, "urllib.error"), strings.HasPrefix(name, "urllib2.URLError"),
		strings.HasPrefix(name, "urllib.request.pathname2url"), strings.HasPrefix(name, "urllib.quote"),
		strings.HasPrefix(name, "urllib.unquote"), strings.HasPrefix(name, "urllib.urlencode"):
		return false
	}
	return true
}

var fetchHints = []string{"urlopen", "urlretrieve", "requests.", "urllib", "http.client", "httpx", "socket", ".recv("}

func fetchesData(snippet string) bool {
	for _, h := range fetchHints {
		if strings.Contains(snippet, h) {
			return true
		}
	}
	return false
}

// credentialMarkers name secret stores as paths (never bare words, which
// install_requires lists would match: keyring, gnupg); matched on
// lower-cased strings with backslashes turned into slashes.
var credentialMarkers = []string{
	".ssh/", "id_rsa", "id_ed25519", "id_ecdsa", ".aws/credentials", ".git-credentials", ".netrc", ".npmrc",
	".docker/config.json", ".kube/config", "/etc/shadow", "/etc/passwd", "login data", "local state",
	"local storage", "/leveldb", "/cookies", "cookies.sqlite", "logins.json", "key4.db", "key3.db",
	"wallet.dat", "/exodus", "electrum/wallets", "nkbihfbeogaeaoehlefnkodbefgpgknn", "login.keychain",
	"discord/", "discordcanary", "discordptb", "telegram desktop/tdata", "/tdata", "filezilla/recentservers",
	"google/chrome/user data", "bravesoftware", "mozilla/firefox/profiles", "microsoft/edge/user data",
	"opera software", "yandex/yandexbrowser", ".gnupg/",
}

var secretNameRe = regexp.MustCompile(`^[A-Z0-9_]*(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|APIKEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|WEBHOOK)[A-Z0-9_]*$`)

var persistenceMarkers = []string{
	".bashrc", ".bash_profile", ".zshrc", ".zprofile", "/.profile", "crontab", "/etc/cron", "launchagents",
	"launchdaemons", "currentversion/run", "start menu/programs/startup", "/startup/", "systemd/system",
	"systemd/user", "/etc/rc.local", "/etc/init.d", "autostart/", "/etc/profile", "/etc/ld.so.preload",
	"authorized_keys", "sitecustomize.py", "usercustomize.py",
}

// maxMarkerString bounds the strings searched for paths, names and hosts:
// malware writes them as short literals, while a long string in setup.py
// is the README inlined as long_description, whose prose mentions
// ~/.zshrc or a paste site harmlessly.
const maxMarkerString = 512

func (c *installFacts) addString(s *pyast.String) {
	v := s.Value
	if len(v) > 1<<16 {
		v = v[:1<<16]
	}
	low := strings.ToLower(v)
	if isShellPayload(low) {
		c.shellPayloads++
	}
	if n := len(s.Value); n >= 100 && isBase64(s.Value) || n >= 64 && isHex(s.Value) {
		c.encoded++
	}
	if len(v) > maxMarkerString || c.metaText != "" && strings.Contains(c.metaText, strings.TrimSpace(low)) {
		return
	}
	norm := strings.ReplaceAll(low, `\`, "/")
	for _, m := range credentialMarkers {
		if strings.Contains(norm, m) {
			c.credentials++
			break
		}
	}
	for _, m := range persistenceMarkers {
		if strings.Contains(norm, m) {
			c.persistence++
			break
		}
	}
	if len(v) <= 64 && secretNameRe.MatchString(v) {
		c.secretNames++
	}
	if suspiciousHost(low, v) {
		c.endpoints++
	}
}

// suspiciousHost: an exfiltration or payload service, or a raw IP host.
// Only strings shaped like a URL or a host name count: setup.py lists
// module paths (packages=[..., "pocsuite3.modules.interactsh"]) whose
// words can name such a service.
func suspiciousHost(low, v string) bool {
	if hostShaped(low) {
		for _, ep := range suspiciousEndpoints {
			if strings.Contains(low, ep) {
				return true
			}
		}
	}
	if isIPLiteral(v) {
		return true
	}
	if !strings.Contains(low, "http") {
		return false
	}
	for _, u := range urlRe.FindAllString(v, 20) {
		if pu, err := url.Parse(u); err == nil {
			if ip := net.ParseIP(pu.Hostname()); ip != nil && !ip.IsLoopback() && !ip.IsUnspecified() {
				return true
			}
		}
	}
	return false
}

// installMetaText is the text of the package's own metadata that setup
// code repeats, lower-cased, with the version and manifest name.
func installMetaText(f *facts) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(f.version()))
	b.WriteByte('\n')
	b.WriteString(strings.ToLower(f.name()))
	if md := f.pkg.Meta; md != nil {
		for _, k := range []string{"Summary", "Keywords", "Home-page", "Download-URL", "Author", "Author-email", "Maintainer", "Maintainer-email"} {
			b.WriteByte('\n')
			b.WriteString(strings.ToLower(md.Get(k)))
		}
		for _, u := range md.All("Project-URL") {
			b.WriteByte('\n')
			b.WriteString(strings.ToLower(u))
		}
		if d := md.Description(); len(d) <= 1<<20 {
			b.WriteByte('\n')
			b.WriteString(strings.ToLower(d))
		}
	}
	return b.String()
}

// hostShaped: a URL, a path or address with a port, or a dotted name whose
// last label looks like a top-level domain (2–6 letters).
func hostShaped(low string) bool {
	if strings.ContainsAny(low, "/:") {
		return true
	}
	if strings.ContainsAny(low, " \t\n") {
		return false
	}
	i := strings.LastIndexByte(low, '.')
	if i < 0 {
		return false
	}
	tld := low[i+1:]
	if len(tld) < 2 || len(tld) > 6 {
		return false
	}
	for _, r := range tld {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}
