// Package configfile loads an experiment config (experiments.Config):
// experiments.DefaultConfig, then a YAML file, then PYPIMAL_* environment
// variables, then flag overrides. It keeps file loading (viper) out of the
// protocol package experiments, which defines the Config and its defaults
// and validates it, each section by its owner.
package configfile

import (
	"fmt"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"

	"pypimal/experiments"
	"pypimal/featuresets"
)

// Load reads an experiment config: the defaults, then the YAML file (if
// path is not empty), then PYPIMAL_* environment variables (PYPIMAL_SEED,
// PYPIMAL_CV_K, …), then the overrides (flag values by key, such as
// "train.model"). Unknown keys and invalid values are errors.
func Load(path string, overrides map[string]any) (*experiments.Config, error) {
	defaults, err := defaultKeys()
	if err != nil {
		return nil, err
	}
	v := viper.New()
	// Defaults are set per top-level key, nested as a file writes them,
	// so a file that sets one key of a section keeps the others' defaults.
	for k, val := range defaults {
		v.SetDefault(k, val)
	}
	v.SetEnvPrefix("PYPIMAL")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml")
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("config %s: %w", path, err)
		}
	}
	for k, val := range overrides {
		v.Set(k, val)
	}
	var c experiments.Config
	// Unused keys are errors: a typo must not silently run the default.
	strict := func(dc *mapstructure.DecoderConfig) { dc.ErrorUnused = true }
	if err := v.Unmarshal(&c, strict); err != nil {
		return nil, fmt.Errorf("config %s: %w", displayPath(path), err)
	}
	// An empty list is how a file asks for the default sets.
	if len(c.FeatureSets) == 0 {
		c.FeatureSets = featuresets.DefaultSets()
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", displayPath(path), err)
	}
	return &c, nil
}

// defaultKeys is experiments.DefaultConfig as the map a YAML file of it
// would give: the keys and nesting viper merges the file into.
func defaultKeys() (map[string]any, error) {
	b, err := yaml.Marshal(experiments.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("config defaults: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("config defaults: %w", err)
	}
	return m, nil
}

func displayPath(p string) string {
	if p == "" {
		return "(defaults)"
	}
	return p
}
