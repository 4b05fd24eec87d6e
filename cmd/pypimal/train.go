package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"pypimal/experiments"
	"pypimal/featuresets"
	"pypimal/vetting"
)

func newTrainCmd(v *viper.Viper) *cobra.Command {
	var (
		out       string
		model     string
		set       string
		leaky     bool
		targetFPR float64
		seed      int64
	)
	cmd := &cobra.Command{
		Use:   "train [CONFIG] -o MODEL.json",
		Short: "Fit one model on the training rows and save it for `pypimal scan`",
		Long: "Fits the config's train model (default: stacking on the `all` feature set without leaky features)\n" +
			"on the training rows of the config's split (default experiments/paper.yaml) and writes one model file:\n" +
			"feature names, text vocabulary and IDF, scaler, every model's parameters, the decision threshold and\n" +
			"training metadata. The threshold is chosen on out-of-fold scores of the training rows (the config's\n" +
			"cv.k folds): the one with the highest F1, or with --target-fpr the lowest whose false-positive rate\n" +
			"is at most that rate.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("train: -o MODEL.json is required")
			}
			overrides := map[string]any{}
			override := func(flag, key string, val any) {
				if cmd.Flags().Changed(flag) {
					overrides[key] = val
				}
			}
			override("model", "train.model", model)
			override("set", "train.set", set)
			override("leaky", "train.leaky", leaky)
			override("target-fpr", "train.target_fpr", targetFPR)
			override("seed", "seed", seed)
			cfg, err := loadExperiment(cmd, v, args, overrides)
			if err != nil {
				return err
			}
			return runTrain(cmd, v, cfg, out)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "model file to write")
	cmd.Flags().StringVar(&model, "model", "", "rf, dt, svm, mlp, nb, lr, stacking or intersection (config train.model; default stacking)")
	cmd.Flags().StringVar(&set, "set", "", "feature set of the config (config train.set; default all)")
	cmd.Flags().BoolVar(&leaky, "leaky", false, "include leaky features (config train.leaky)")
	cmd.Flags().Float64Var(&targetFPR, "target-fpr", 0, "choose the lowest threshold whose out-of-fold false-positive rate is at most this, e.g. 0.001 (default: maximise F1)")
	cmd.Flags().Int64Var(&seed, "seed", 0, "override the config's seed")
	return cmd
}

func runTrain(cmd *cobra.Command, v *viper.Viper, cfg *experiments.Config, out string) error {
	w := cmd.OutOrStdout()
	opt := runOptions(v, cfg, nil)
	if _, err := os.Stat(filepath.Join(opt.DataDir, "manifest.csv")); err != nil {
		return fmt.Errorf("dataset folder %s: %w", opt.DataDir, err)
	}
	topt := vetting.TrainOptions{DataDir: opt.DataDir, Progress: opt.Progress, Log: cmd.ErrOrStderr()}
	if opt.CacheDir != "" {
		topt.Cache = &featuresets.Cache{Dir: opt.CacheDir}
	}
	started := time.Now()
	m, err := vetting.Train(cmd.Context(), cfg, topt)
	if err != nil {
		return err
	}
	if err := m.Save(out); err != nil {
		return err
	}
	st, _ := os.Stat(out)
	size := int64(0)
	if st != nil {
		size = st.Size()
	}
	th := m.Threshold
	fmt.Fprintf(w, "%s: %s on %s (leaky %v), %d training rows (%d malicious, %d benign), %d columns%s, %.1f MB, %.0fs\n",
		out, m.Model, m.Set.Name, m.Leaky, m.Training.Rows, m.Training.Malicious, m.Training.Benign, len(m.Columns),
		map[bool]string{true: " + text", false: ""}[m.Text], float64(size)/(1<<20), time.Since(started).Seconds())
	fmt.Fprintf(w, "cross-validation (%d folds × %d): F1 %.3f ± %.3f at the model's own threshold %g; out-of-fold ROC-AUC %.3f\n",
		m.Training.CV.K, m.Training.CV.Repeats, m.Training.CV.F1Mean, m.Training.CV.F1Std, th.ModelDefault, m.Training.CV.ROCAUC)
	fmt.Fprintf(w, "threshold %.6g (%s): out-of-fold precision %.3f, recall %.3f, F1 %.3f, false-positive rate %.4f (%d of %d benign)\n",
		th.Value, th.Method, th.OOF.Precision, th.OOF.Recall, th.OOF.F1, th.OOF.FPR, th.OOF.FP, th.OOF.FP+th.OOF.TN)
	return nil
}
