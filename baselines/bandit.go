package baselines

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// BanditReport is what one bandit JSON output says, reduced to counts.
type BanditReport struct {
	Alerts       int            // findings ("results")
	BySeverity   map[string]int // issue_severity: HIGH, MEDIUM, LOW (UNDEFINED)
	ByConfidence map[string]int // issue_confidence: HIGH, MEDIUM, LOW (UNDEFINED)
	ByTest       map[string]int // test_id (B102…); bandit names every blacklist test "blacklist", so ids, not names
	Errors       []string       // bandit's own "errors" entries, "file: reason", sorted
	LOC          int            // metrics._totals.loc
}

type banditJSON struct {
	Errors []struct {
		Filename string `json:"filename"`
		Reason   string `json:"reason"`
	} `json:"errors"`
	Results *[]struct {
		TestID          string `json:"test_id"`
		TestName        string `json:"test_name"`
		IssueSeverity   string `json:"issue_severity"`
		IssueConfidence string `json:"issue_confidence"`
	} `json:"results"`
	Metrics map[string]map[string]float64 `json:"metrics"`
}

// ParseBandit reads bandit's JSON output (-f json). Output without a
// "results" array is an error: it is not a bandit report.
func ParseBandit(data []byte) (*BanditReport, error) {
	var j banditJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("bandit JSON: %w", err)
	}
	if j.Results == nil {
		return nil, errors.New("bandit JSON: no results array")
	}
	r := &BanditReport{BySeverity: map[string]int{}, ByConfidence: map[string]int{}, ByTest: map[string]int{}}
	for _, res := range *j.Results {
		r.Alerts++
		r.BySeverity[orUndefined(res.IssueSeverity)]++
		r.ByConfidence[orUndefined(res.IssueConfidence)]++
		id := res.TestID
		if id == "" {
			id = "?" + res.TestName
		}
		r.ByTest[id]++
	}
	for _, e := range j.Errors {
		r.Errors = append(r.Errors, e.Filename+": "+e.Reason)
	}
	sort.Strings(r.Errors)
	if t, ok := j.Metrics["_totals"]; ok {
		r.LOC = int(t["loc"])
	}
	return r, nil
}

func orUndefined(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return "UNDEFINED"
	}
	return s
}

// BanditInfo describes the bandit that ran.
type BanditInfo struct {
	Binary  string // as resolved on PATH
	Version string // e.g. "1.6.2"
	Python  string // the interpreter bandit runs on, e.g. "3.11.2"
	// StringTests is true when bandit's string-literal tests fire: a probe
	// file holding `password = "…"` raised B105.
	StringTests bool
	Note        string // caveats for the report ("" when none)
}

var (
	reBanditVersion = regexp.MustCompile(`(?m)^\s*bandit\s+(\S+)`)
	rePythonVersion = regexp.MustCompile(`(?m)python version\s*=\s*(\S+)`)
)

// stringTests are bandit 1.6.2's tests registered for ast.Str nodes. Under
// Python 3.8+ literals parse as ast.Constant, which bandit 1.6.2 never
// dispatches to them.
const stringTests = "B104 hardcoded_bind_all_interfaces, B105 hardcoded_password_string, " +
	"B108 hardcoded_tmp_directory, B608 hardcoded_sql_expressions"

// DetectBandit runs `bandit --version` and a one-line probe (a temporary
// file with a hard-coded password string, to see whether bandit's
// string-literal tests fire on this Python). It fails only when bandit cannot
// run at all.
func DetectBandit(ctx context.Context, bin string, timeout time.Duration) (BanditInfo, error) {
	if bin == "" {
		bin = "bandit"
	}
	if timeout <= 0 {
		timeout = time.Minute
	}
	resolved, err := exec.LookPath(bin)
	if err != nil {
		return BanditInfo{}, fmt.Errorf("bandit: %w (install it with `apt-get install -y bandit`)", err)
	}
	info := BanditInfo{Binary: resolved}
	out, _, _, err := runTool(ctx, resolved, "", []string{"--version"}, timeout, 1<<20)
	if err != nil {
		return info, fmt.Errorf("bandit --version: %w", err)
	}
	if m := reBanditVersion.FindSubmatch(out); m != nil {
		info.Version = string(m[1])
	}
	if m := rePythonVersion.FindSubmatch(out); m != nil {
		info.Python = string(m[1])
	}
	if info.Version == "" {
		return info, fmt.Errorf("bandit --version: unexpected output %q", printable(string(out)))
	}

	// The probe.
	dir, err := os.MkdirTemp("", "pypimal-bandit-probe-*")
	if err != nil {
		return info, err
	}
	defer os.RemoveAll(dir)
	ini := filepath.Join(dir, "bandit.ini")
	if err := os.WriteFile(ini, []byte("[bandit]\n"), 0o644); err != nil {
		return info, err
	}
	if err := os.WriteFile(filepath.Join(dir, "probe.py"), []byte("password = \"probe-secret\"\n"), 0o644); err != nil {
		return info, err
	}
	out, _, code, err := runTool(ctx, resolved, dir, []string{"-f", "json", "-q", "--ini", ini, "probe.py"}, timeout, 1<<20)
	probeNote := ""
	switch rep, perr := ParseBandit(out); {
	case err != nil || (code != 0 && code != 1):
		probeNote = fmt.Sprintf("the string-literal probe failed (%v, exit %d); ", err, code)
	case perr != nil:
		probeNote = fmt.Sprintf("the string-literal probe gave no report (%v); ", perr)
	default:
		info.StringTests = rep.ByTest["B105"] > 0
	}
	if !info.StringTests {
		py := info.Python
		if py == "" {
			py = "this Python"
		}
		info.Note = fmt.Sprintf("%sbandit %s on Python %s silently skips its string-literal tests (%s): "+
			"Python 3.8+ parses literals as ast.Constant, which bandit 1.6.2 only handles as ast.Str; "+
			"a probe with `password = \"…\"` raised no B105. Bandit's alert counts here are lower than on Python 3.7.",
			probeNote, info.Version, py, stringTests)
	}
	return info, nil
}

// banditScopeArgs are the command lines for the two scopes. The package's
// folder is the working directory, so reported file names are relative
// ("./mod.py", "setup.py") and the raw JSON does not carry the temp path.
// --ini points at our own empty config: a `.bandit` file shipped inside the
// package would otherwise be read and could skip tests or exclude files.
func banditScopeArgs(scope Scope, ini string) []string {
	if scope == ScopeSetup {
		return []string{"-f", "json", "-q", "--ini", ini, "setup.py"}
	}
	return []string{"-r", ".", "-f", "json", "-q", "--ini", ini}
}

// runBanditScope runs bandit on one scope of a package written at dir and
// fills o. Never fails: problems become o.Status and o.Err.
func runBanditScope(ctx context.Context, bin, dir, ini string, scope Scope, timeout time.Duration, maxOut int64, o *Outcome) {
	start := time.Now()
	out, stderr, code, err := runTool(ctx, bin, dir, banditScopeArgs(scope, ini), timeout, maxOut)
	o.Seconds, o.Timed = time.Since(start).Seconds(), true
	o.Raw = out
	switch {
	case errors.Is(err, errTimeout):
		o.Status, o.Err = StatusTimeout, fmt.Sprintf("timed out after %s", timeout)
		return
	case err != nil:
		o.Status, o.Err = StatusError, err.Error()
		return
	case code != 0 && code != 1: // 1 means "issues found"
		o.Status, o.Err = StatusError, fmt.Sprintf("exit status %d: %s", code, tail(stderr, 300))
		return
	}
	rep, perr := ParseBandit(out)
	if perr != nil {
		o.Status, o.Err = StatusError, perr.Error()
		if s := tail(stderr, 200); s != "" {
			o.Err += "; stderr: " + s
		}
		return
	}
	o.Status = StatusOK
	o.Alerts = rep.Alerts
	o.BySeverity, o.ByConfidence, o.ByTest = rep.BySeverity, rep.ByConfidence, rep.ByTest
	o.ToolErrors = rep.Errors
	o.LOC = rep.LOC
}

var errTimeout = errors.New("timed out")

// runTool runs bin with args in dir (in its own process group, which is
// killed whole on timeout or cancellation) and returns stdout, a stderr tail and the exit
// code. err is set when the process could not run, was killed (errTimeout
// for the timeout), or wrote more than maxOut bytes; a non-zero exit status
// alone is not an error.
func runTool(ctx context.Context, bin, dir string, args []string, timeout time.Duration, maxOut int64) ([]byte, []byte, int, error) {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = toolEnv()
	cmd.Stdin = nil
	stdout := &capWriter{max: maxOut}
	stderr := &capWriter{max: 64 << 10, truncate: true}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	setProcessGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	switch {
	case tctx.Err() != nil && ctx.Err() == nil:
		return stdout.Bytes(), stderr.Bytes(), code, errTimeout
	case ctx.Err() != nil:
		return stdout.Bytes(), stderr.Bytes(), code, ctx.Err()
	case stdout.over:
		return stdout.Bytes(), stderr.Bytes(), code, fmt.Errorf("output larger than %d bytes", maxOut)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return stdout.Bytes(), stderr.Bytes(), code, err
	}
	if exitErr != nil && code < 0 {
		return stdout.Bytes(), stderr.Bytes(), code, fmt.Errorf("killed: %v", err)
	}
	return stdout.Bytes(), stderr.Bytes(), code, nil
}

// toolEnv is the caller's environment without PYTHON* variables (so a
// PYTHONPATH cannot change what bandit loads), plus settings that keep
// Python quiet and deterministic.
func toolEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PYTHON") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PYTHONDONTWRITEBYTECODE=1", "PYTHONHASHSEED=0", "PYTHONIOENCODING=utf-8")
}

// capWriter keeps at most max bytes. Past that it either drops the rest
// (truncate) or records the overflow.
type capWriter struct {
	buf      bytes.Buffer
	max      int64
	truncate bool
	over     bool
}

func (w *capWriter) Write(p []byte) (int, error) {
	room := w.max - int64(w.buf.Len())
	if int64(len(p)) > room {
		if room > 0 {
			w.buf.Write(p[:room])
		}
		w.over = true
		if w.truncate {
			return len(p), nil
		}
		return 0, errors.New("output limit")
	}
	return w.buf.Write(p)
}

func (w *capWriter) Bytes() []byte { return w.buf.Bytes() }

func tail(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	return strings.ReplaceAll(s, "\n", " | ")
}

// banditTestNames names bandit 1.6.2's tests (from `bandit -h`); results
// name every blacklist test "blacklist", so reports use these.
var banditTestNames = map[string]string{
	"B101": "assert_used", "B102": "exec_used", "B103": "set_bad_file_permissions",
	"B104": "hardcoded_bind_all_interfaces", "B105": "hardcoded_password_string",
	"B106": "hardcoded_password_funcarg", "B107": "hardcoded_password_default",
	"B108": "hardcoded_tmp_directory", "B110": "try_except_pass", "B112": "try_except_continue",
	"B201": "flask_debug_true", "B301": "pickle", "B302": "marshal", "B303": "md5", "B304": "ciphers",
	"B305": "cipher_modes", "B306": "mktemp_q", "B307": "eval", "B308": "mark_safe",
	"B309": "httpsconnection", "B310": "urllib_urlopen", "B311": "random", "B312": "telnetlib",
	"B313": "xml_bad_cElementTree", "B314": "xml_bad_ElementTree", "B315": "xml_bad_expatreader",
	"B316": "xml_bad_expatbuilder", "B317": "xml_bad_sax", "B318": "xml_bad_minidom",
	"B319": "xml_bad_pulldom", "B320": "xml_bad_etree", "B321": "ftplib", "B322": "input",
	"B323": "unverified_context", "B324": "hashlib_new_insecure_functions", "B325": "tempnam",
	"B401": "import_telnetlib", "B402": "import_ftplib", "B403": "import_pickle",
	"B404": "import_subprocess", "B405": "import_xml_etree", "B406": "import_xml_sax",
	"B407": "import_xml_expat", "B408": "import_xml_minidom", "B409": "import_xml_pulldom",
	"B410": "import_lxml", "B411": "import_xmlrpclib", "B412": "import_httpoxy",
	"B413": "import_pycrypto", "B501": "request_with_no_cert_validation",
	"B502": "ssl_with_bad_version", "B503": "ssl_with_bad_defaults", "B504": "ssl_with_no_version",
	"B505": "weak_cryptographic_key", "B506": "yaml_load", "B507": "ssh_no_host_key_verification",
	"B601": "paramiko_calls", "B602": "subprocess_popen_with_shell_equals_true",
	"B603": "subprocess_without_shell_equals_true", "B604": "any_other_function_with_shell_equals_true",
	"B605": "start_process_with_a_shell", "B606": "start_process_with_no_shell",
	"B607": "start_process_with_partial_path", "B608": "hardcoded_sql_expressions",
	"B609": "linux_commands_wildcard_injection", "B610": "django_extra_used",
	"B611": "django_rawsql_used", "B701": "jinja2_autoescape_false",
	"B702": "use_of_mako_templates", "B703": "django_mark_safe",
}

// BanditTestName names a bandit test id ("" when unknown).
func BanditTestName(id string) string { return banditTestNames[id] }
