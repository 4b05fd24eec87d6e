package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/viper"
)

func newBaselinesCmd(v *viper.Viper) *cobra.Command {
	return &cobra.Command{
		Use:   "baselines [CONFIG]",
		Short: "bandit and packj alert counts beside pypimal's stacking model → results/<name>/baselines/",
		Long: "Runs the experiment (finished cells are reused) to get pypimal's stacking scores, then bandit on\n" +
			"every package of the config's baselines.split (whole package and setup.py alone) and packj's\n" +
			"precomputed reports, and writes baselines.md, CSVs and the alerts-by-class plot.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadExperiment(cmd, v, args, map[string]any{"baselines.enabled": true})
			if err != nil {
				return err
			}
			return runExperiment(cmd, v, cfg)
		},
	}
}
