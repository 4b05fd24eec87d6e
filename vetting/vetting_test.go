package vetting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pypimal/featuresets"
	"pypimal/vetting/vettingtest"
)

func TestTrainedModelFile(t *testing.T) {
	m := trainedModel(t, "stacking")
	if m.Kind != fileKind || m.Format != FormatVersion || m.ExtractorVersion != featuresets.ExtractorVersion {
		t.Errorf("kind %q format %d extractor %d", m.Kind, m.Format, m.ExtractorVersion)
	}
	if !slices.Equal(m.Features, featuresets.Names()) {
		t.Error("features are not the catalogue's names")
	}
	if m.Model != "stacking" || m.Set.Name != "all" || m.Leaky || !m.Text || m.ScoreKind != ScoreProbability {
		t.Errorf("model %s set %s leaky %v text %v score %s", m.Model, m.Set.Name, m.Leaky, m.Text, m.ScoreKind)
	}
	if !slices.Equal(m.Members, []string{"rf", "dt", "svm", "mlp", "nb", "lr"}) {
		t.Errorf("members %v", m.Members)
	}
	cat := featuresets.Catalogue()
	if len(m.Columns) == 0 || len(m.Columns) != len(m.ColumnNames) || len(m.BenignMedians) != len(m.Columns) {
		t.Fatalf("%d columns, %d names, %d medians", len(m.Columns), len(m.ColumnNames), len(m.BenignMedians))
	}
	for j, c := range m.Columns {
		if cat[c].Leaky {
			t.Errorf("leaky feature %s selected without --leaky", cat[c].Name)
		}
		if cat[c].Family == featuresets.Text {
			t.Errorf("text column %s", cat[c].Name)
		}
		if m.ColumnNames[j] != cat[c].Name {
			t.Errorf("column %d named %s, catalogue %s", c, m.ColumnNames[j], cat[c].Name)
		}
	}
	tr := m.Training
	if tr.Rows != 80 || tr.Malicious != 40 || tr.Benign != 40 || tr.Failed != 0 || tr.Seed != 7 {
		t.Errorf("training %+v", tr)
	}
	if len(tr.DatasetDigest) != 64 || !strings.Contains(tr.Config, "train:") || tr.Created == "" {
		t.Errorf("digest %q, config has train: %v, created %q", tr.DatasetDigest, strings.Contains(tr.Config, "train:"), tr.Created)
	}
	if tr.CV.K != 5 || tr.CV.F1Mean < 0.8 || tr.CV.ROCAUC < 0.9 {
		t.Errorf("cv %+v", tr.CV)
	}
	th := m.Threshold
	if th.Method != MethodMaxF1 || th.ModelDefault != 0.5 || th.OOF.TP+th.OOF.FN != 40 || th.OOF.FP+th.OOF.TN != 40 {
		t.Errorf("threshold %+v", th)
	}
	if th.OOF.F1 < th.OOFDefault.F1 {
		t.Errorf("chosen threshold has out-of-fold F1 %v, below the default's %v", th.OOF.F1, th.OOFDefault.F1)
	}
}

// TestModelRoundTrip saves and loads a trained stacking model: the loaded
// model scores and explains every hand-made package bit for bit as the
// trained one, and saving it again gives the same bytes.
func TestModelRoundTrip(t *testing.T) {
	m := trainedModel(t, "stacking")
	path := filepath.Join(t.TempDir(), "model.json")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := os.ReadFile(path)
	again, err := m2.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(saved, again) {
		t.Error("a loaded model marshals to other bytes")
	}
	fx := fixtures(t)
	var paths []string
	for _, k := range slices.Sorted(maps.Keys(fx)) {
		paths = append(paths, fx[k])
	}
	want, _ := scanAll(t, m, paths...)
	got, _ := scanAll(t, m2, paths...)
	for i := range want {
		if math.Float64bits(got[i].Score) != math.Float64bits(want[i].Score) {
			t.Errorf("%s: score %v after loading, %v before", paths[i], got[i].Score, want[i].Score)
		}
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s: result differs after loading:\n%+v\n%+v", paths[i], got[i], want[i])
		}
	}
	distinct := map[float64]bool{}
	for _, r := range want {
		distinct[r.Score] = true
	}
	if len(distinct) < 2 {
		t.Error("every package has the same score: the comparison proves nothing")
	}
}

// TestScanHandmade scans the hand-made packages as folders, .tar.gz and
// .zip sdists with a forest and with the stacking ensemble.
func TestScanHandmade(t *testing.T) {
	mal := vettingtest.Malicious()
	execLine := mal.Line("setup.py", "exec(base64.b64decode(")
	hookLine := mal.Line("setup.py", "urllib.request.urlopen(urllib.request.Request(HOOK")
	if execLine == 0 || hookLine == 0 {
		t.Fatal("fixture lines not found")
	}
	for _, model := range []string{"rf", "stacking"} {
		m := trainedModel(t, model)
		fx := fixtures(t)
		for _, form := range []string{"dir", "tar.gz", "zip"} {
			t.Run(model+"/"+form, func(t *testing.T) {
				rs, sum := scanAll(t, m, fx["malicious/"+form], fx["benign/"+form])
				if sum.Malicious != 1 || sum.Benign != 1 || sum.Errors != 0 || sum.ExitCode() != 1 {
					t.Errorf("summary %+v, exit %d", sum, sum.ExitCode())
				}
				bad, good := rs[0], rs[1]
				wantFormat := map[string]string{"dir": "dir", "tar.gz": "sdist-tar.gz", "zip": "sdist-zip"}[form]
				if bad.Format != wantFormat || good.Format != wantFormat {
					t.Errorf("formats %s, %s; want %s", bad.Format, good.Format, wantFormat)
				}

				if bad.Verdict != VerdictMalicious || !(bad.Score > bad.Threshold) || bad.Threshold != m.Threshold.Value {
					t.Errorf("malicious package: %s, score %v, threshold %v", bad.Verdict, bad.Score, bad.Threshold)
				}
				if bad.Name != "reqeusts-toolbelt" || bad.Version != "0.0.1" || bad.Anchor != "PKG-INFO" {
					t.Errorf("name %q version %q anchor %q", bad.Name, bad.Version, bad.Anchor)
				}
				// Reasons: positive pushes, largest first, at most five,
				// each from a feature away from its benign median, and the
				// code (or its vocabulary) among them.
				if len(bad.Reasons) == 0 || len(bad.Reasons) > 5 {
					t.Fatalf("%d reasons", len(bad.Reasons))
				}
				codeReason := false
				for i, r := range bad.Reasons {
					if !(r.Delta > 0) || (i > 0 && r.Delta > bad.Reasons[i-1].Delta) {
						t.Errorf("reason %d %s has push %v after %v", i, r.Feature, r.Delta, bad.Reasons[max(i-1, 0)].Delta)
					}
					if r.Feature != TextFeature && r.Value == r.BenignMedian {
						t.Errorf("reason %s is at its benign median %v", r.Feature, r.Value)
					}
					if r.Definition == "" {
						t.Errorf("reason %s has no definition", r.Feature)
					}
					if r.Family == string(featuresets.Code) || r.Family == string(featuresets.Install) || r.Family == string(featuresets.Text) {
						codeReason = true
					}
					if r.Feature == TextFeature && (r.Value == 0 || len(r.Tokens) == 0) {
						t.Errorf("text reason without tokens: %+v", r)
					}
				}
				// The stack's reasons name the behaviour; a forest on this
				// small hand-made set can rest on redundant metadata, where
				// resetting one feature moves little (its findings below
				// still point at the code).
				if !codeReason && model == "stacking" {
					t.Errorf("no code, install or text reason among %+v", bad.Reasons)
				}
				// Findings: the exec of decoded data first, with its
				// file, line and snippet; the webhook post found too.
				if len(bad.Findings) == 0 {
					t.Fatal("no findings")
				}
				f := bad.Findings[0]
				if f.File != "setup.py" || f.Line != execLine || f.Family != "exec" || !strings.HasPrefix(f.Snippet, "exec(base64.b64decode(\"") {
					t.Errorf("first finding %+v, want setup.py:%d exec(base64.b64decode(...", f, execLine)
				}
				if got := FindingText(f); !strings.HasPrefix(got, "setup.py:"+itoa(execLine)+" exec(base64.b64decode(") {
					t.Errorf("finding text %q", got)
				}
				hook := false
				for _, f := range bad.Findings {
					if f.File == "setup.py" && f.Line == hookLine && f.Family == "network" {
						hook = true
					}
				}
				if !hook {
					t.Errorf("the webhook post at setup.py:%d is not among the findings %+v", hookLine, bad.Findings)
				}

				if good.Verdict != VerdictBenign || good.Score > good.Threshold {
					t.Errorf("benign package: %s, score %v, threshold %v", good.Verdict, good.Score, good.Threshold)
				}
				if good.Name != "tidytext" || good.Version != "2.3.1" {
					t.Errorf("benign name %q version %q", good.Name, good.Version)
				}
			})
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestReasonsOption: fewer reasons, or none (scored without explanation
// rows), leave the score unchanged.
func TestReasonsOption(t *testing.T) {
	m := trainedModel(t, "stacking")
	fx := fixtures(t)
	var results [][]Result
	for _, n := range []int{0, 2, -1} {
		var out []Result
		_, err := NewScanner(m, ScanOptions{Reasons: n}).Scan(context.Background(), []string{fx["malicious/zip"]}, func(r Result) error {
			out = append(out, r)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, out)
	}
	full, two, none := results[0][0], results[1][0], results[2][0]
	if len(full.Reasons) != 5 || len(two.Reasons) != 2 || len(none.Reasons) != 0 {
		t.Errorf("%d, %d, %d reasons; want 5, 2, 0", len(full.Reasons), len(two.Reasons), len(none.Reasons))
	}
	if !reflect.DeepEqual(two.Reasons, full.Reasons[:2]) {
		t.Errorf("the two reasons are not the top two")
	}
	if full.Score != two.Score || full.Score != none.Score || none.Verdict != VerdictMalicious || len(none.Findings) == 0 {
		t.Errorf("scores %v %v %v, verdict without reasons %s", full.Score, two.Score, none.Score, none.Verdict)
	}
}

func TestScanFolderOfArchives(t *testing.T) {
	m := trainedModel(t, "rf")
	dir := t.TempDir()
	if err := vettingtest.Malicious().WriteTarGz(filepath.Join(dir, "b-evil.tar.gz")); err != nil {
		t.Fatal(err)
	}
	if err := vettingtest.Benign().WriteZip(filepath.Join(dir, "a-good.zip")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a package"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	vettingtest.Benign().WriteTarGz(filepath.Join(dir, "sub", "c.tar.gz")) // not searched
	rs, sum := scanAll(t, m, dir)
	if len(rs) != 2 || rs[0].Path != filepath.Join(dir, "a-good.zip") || rs[1].Path != filepath.Join(dir, "b-evil.tar.gz") {
		t.Fatalf("results %+v", rs)
	}
	if rs[0].Verdict != VerdictBenign || rs[1].Verdict != VerdictMalicious || sum.ExitCode() != 1 {
		t.Errorf("verdicts %s %s, exit %d", rs[0].Verdict, rs[1].Verdict, sum.ExitCode())
	}

	// A folder with a package file at its top is one package, archives
	// inside or not.
	pkg := t.TempDir()
	if err := vettingtest.Benign().WriteDir(pkg); err != nil {
		t.Fatal(err)
	}
	vettingtest.Malicious().WriteTarGz(filepath.Join(pkg, "vendored.tar.gz"))
	rs, _ = scanAll(t, m, pkg)
	if len(rs) != 1 || rs[0].Format != "dir" || rs[0].Path != pkg {
		t.Errorf("package folder gave %+v", rs)
	}
}

// TestScanBadInput: unreadable packages are reported, the others scanned.
func TestScanBadInput(t *testing.T) {
	m := trainedModel(t, "rf")
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar.gz")
	if err := vettingtest.Benign().WriteTarGz(good); err != nil {
		t.Fatal(err)
	}
	corrupt := filepath.Join(dir, "corrupt.tar.gz")
	os.WriteFile(corrupt, append([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, bytes.Repeat([]byte("garbage!"), 40)...), 0o644)
	truncated := filepath.Join(dir, "truncated.zip")
	z, _ := vettingtest.Benign().Zip()
	os.WriteFile(truncated, z[:len(z)/2], 0o644)
	notArchive := filepath.Join(dir, "readme.whl")
	os.WriteFile(notArchive, []byte("just text"), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	emptyTree := filepath.Join(dir, "emptytree")
	os.MkdirAll(filepath.Join(emptyTree, "a", "b"), 0o755)
	missing := filepath.Join(dir, "missing.tar.gz")

	rs, sum := scanAll(t, m, corrupt, good, truncated, notArchive, empty, emptyTree, missing)
	if len(rs) != 7 {
		t.Fatalf("%d results", len(rs))
	}
	if rs[1].Verdict != VerdictBenign {
		t.Errorf("the readable package: %s %s", rs[1].Verdict, rs[1].Error)
	}
	want := []struct {
		i   int
		msg string
	}{
		{0, "corrupt or truncated archive"},
		{2, "corrupt or truncated archive"},
		{3, "unknown archive format"},
		{4, "empty folder"},
		{5, "empty folder"},
		{6, "no such file"},
	}
	for _, w := range want {
		r := rs[w.i]
		if r.Verdict != VerdictError || !strings.Contains(r.Error, w.msg) {
			t.Errorf("%s: %s %q, want an error saying %q", r.Path, r.Verdict, r.Error, w.msg)
		}
	}
	if sum.Errors != 6 || sum.Benign != 1 || sum.ExitCode() != 2 {
		t.Errorf("summary %+v exit %d", sum, sum.ExitCode())
	}
	b, _ := json.Marshal(rs[0])
	if strings.Contains(string(b), `"score"`) || strings.Contains(string(b), `"threshold"`) {
		t.Errorf("error result carries a score: %s", b)
	}
}

func TestModelFileErrors(t *testing.T) {
	m := trainedModel(t, "rf")
	good, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(map[string]any)) []byte {
		var v map[string]any
		if err := json.Unmarshal(good, &v); err != nil {
			t.Fatal(err)
		}
		f(v)
		b, _ := json.Marshal(v)
		return b
	}
	names := featuresets.Names()
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte("\x89PNG\r\n\x1a\n binary"), "not a pypimal model file (not JSON"},
		{"other JSON", []byte(`{"results": []}`), "not a pypimal model file"},
		{"other version", edit(func(v map[string]any) { v["format"] = 2 }), "model format version 2, this pypimal reads version 1"},
		{"no version", edit(func(v map[string]any) { delete(v, "format") }), "model format version none"},
		{"feature removed", edit(func(v map[string]any) { v["features"] = names[:len(names)-1] }),
			"feature catalogue differs: the model was trained with extractor version " + itoa(featuresets.ExtractorVersion) + " and " + itoa(len(names)-1) + " features"},
		{"feature renamed", edit(func(v map[string]any) {
			f := slices.Clone(names)
			f[3] = "meta_old_feature"
			v["features"] = f
		}), "first difference at column 3: model meta_old_feature, binary " + names[3]},
		{"other extractor", edit(func(v map[string]any) { v["extractor_version"] = 0 }), "extractor version 0"},
		{"unknown field", edit(func(v map[string]any) { v["colour"] = "blue" }), "unknown field"},
		{"medians", edit(func(v map[string]any) { v["benign_medians"] = []float64{1} }), "benign medians"},
		{"pipeline type", edit(func(v map[string]any) {
			v["pipeline"].(map[string]any)["pipeline"].(map[string]any)["type"] = "boosting"
		}), `unknown pipeline type "boosting"`},
		{"pipeline version", edit(func(v map[string]any) { v["pipeline"].(map[string]any)["format"] = 7 }), "format version 7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.data)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want ErrModelFile saying %q", err, c.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.json")); err == nil || !strings.Contains(err.Error(), "none.json") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Decode(good); err != nil {
		t.Errorf("the unedited file: %v", err)
	}
}

func TestTrainTargetFPR(t *testing.T) {
	dir := handmadeData(t)
	cfg := testConfig(t, map[string]any{"train.model": "lr", "train.target_fpr": 0.05, "train.set": "metadata+files"})
	m, err := Train(context.Background(), cfg, TrainOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	th := m.Threshold
	if th.Method != MethodTargetFPR || th.TargetFPR != 0.05 || th.OOF.FPR > 0.05 {
		t.Errorf("threshold %+v", th)
	}
	if m.Text || m.Set.Name != "metadata+files" || m.Model != "lr" {
		t.Errorf("model %s set %s text %v", m.Model, m.Set.Name, m.Text)
	}
}

func TestChooseThreshold(t *testing.T) {
	y := []int{0, 0, 0, 0, 1, 0, 1, 1, 1, 1}
	s := []float64{0.1, 0.2, 0.2, 0.3, 0.35, 0.4, 0.6, 0.7, 0.7, 0.9}
	// Above 0.3: 5 true and 1 false positive, F1 10/11, the best; the
	// threshold is halfway to the next score, 0.35.
	th, err := ChooseThreshold(y, s, 0)
	if err != nil {
		t.Fatal(err)
	}
	if th.Method != MethodMaxF1 || math.Abs(th.Value-0.325) > 1e-12 {
		t.Errorf("max F1 threshold %v (%s), want 0.325", th.Value, th.Method)
	}
	// FPR ≤ 0.2 (one benign row of five): above 0.3 flags one benign row
	// (0.4), above 0.2 two. The lowest qualifying threshold is 0.3.
	th, err = ChooseThreshold(y, s, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	if th.Method != MethodTargetFPR || th.Value != 0.3 || th.TargetFPR != 0.2 {
		t.Errorf("target FPR threshold %+v, want 0.3", th)
	}
	// A rate below 1/5 allows no benign row: above 0.4.
	if th, _ = ChooseThreshold(y, s, 0.001); th.Value != 0.4 {
		t.Errorf("target FPR 0.001 threshold %v, want 0.4", th.Value)
	}
	// F1 ties go to the higher threshold: flagging everything and flagging
	// only 0.4 both give 2/3; the latter wins, halfway between 0.3 and 0.4.
	th, _ = ChooseThreshold([]int{1, 0, 0, 1}, []float64{0.1, 0.2, 0.3, 0.4}, 0)
	if math.Abs(th.Value-0.35) > 1e-12 {
		t.Errorf("threshold %v, want 0.35", th.Value)
	}
	// Flagging everything is best: the threshold is just below the lowest
	// score.
	th, _ = ChooseThreshold([]int{1, 0, 1, 0}, []float64{0.2, 0.4, 0.6, 0.8}, 0)
	if !(th.Value < 0.2) || th.Value < 0.19999 {
		t.Errorf("threshold %v, want just below 0.2", th.Value)
	}
	for _, bad := range []struct {
		y []int
		s []float64
		f float64
	}{
		{[]int{0, 0}, []float64{0.1, 0.2}, 0},
		{[]int{0, 1}, []float64{0.1}, 0},
		{[]int{0, 1}, []float64{0.1, math.NaN()}, 0},
		{[]int{0, 1}, []float64{0.1, 0.2}, 1},
		{[]int{0, 1}, []float64{0.1, 0.2}, -0.1},
	} {
		if _, err := ChooseThreshold(bad.y, bad.s, bad.f); err == nil {
			t.Errorf("ChooseThreshold(%v, %v, %v): no error", bad.y, bad.s, bad.f)
		}
	}
}
