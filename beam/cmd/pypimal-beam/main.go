// Command pypimal-beam runs pypimal's feature extraction and scanning as
// an Apache Beam pipeline: locally on the prism runner (the default), or on
// Flink, Spark (through a job server) or Dataflow with Beam's runner flags.
//
//	pypimal-beam extract --manifest DATA/manifest.csv --output OUT [--shards N]
//	pypimal-beam extract --input 'gs://mirror/packages/*.tar.gz' --output gs://bucket/out
//	pypimal-beam scan --model model.json --input 'DIR/*.whl' --output OUT [--sarif]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/s3"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"pypimal/beam/pipeline"
)

// Flags of both commands. Beam's own flags (--runner, --endpoint,
// --environment_type, --project, --region, ...) sit beside them.
var (
	manifest   = flag.String("manifest", "", "manifest.csv (path or URL); archives are verified against its rows")
	dataDir    = flag.String("data", "", "folder (path or URL) the manifest's paths are relative to (default: the manifest's folder)")
	inputs     = flag.String("input", "", "comma-separated file patterns of archives, instead of a manifest")
	output     = flag.String("output", "", "output folder (path or URL)")
	shards     = flag.Int("shards", 4, "shards per output file")
	maxArchive = flag.Int64("max-archive", 0, "largest archive read, bytes (default: dataset.DefaultLimits, 256 MiB)")
	model      = flag.String("model", "", "scan: model file written by `pypimal train` (path or URL)")
	reasons    = flag.Int("reasons", 5, "scan: reasons listed per package; 0 none (faster)")
	sarif      = flag.Bool("sarif", false, "scan: also write flagged.sarif (flagged packages only)")
)

const usage = `usage: pypimal-beam extract|scan [flags]

  extract  features, tokens and errors of every package, in shards with the
           columns of 'pypimal extract', plus summary.json
  scan     one JSON line per package as 'pypimal scan --format jsonl', plus
           summary.json and, with --sarif, flagged.sarif

The runner is Beam's --runner flag (default prism, in-process).
`

func main() {
	// A Beam worker is started with Beam's flags only: no command then.
	cmd := ""
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-") {
		cmd = os.Args[1]
		os.Args = slices.Delete(os.Args, 1, 2)
	}
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	beam.Init() // on a worker, runs the harness and does not return
	if err := run(context.Background(), cmd, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "pypimal-beam:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cmd string, w io.Writer) error {
	in := pipeline.Input{Manifest: *manifest, DataDir: *dataDir}
	if *inputs != "" {
		in.Patterns = strings.Split(*inputs, ",")
	}
	p, s := beam.NewPipelineWithRoot()
	var err error
	switch cmd {
	case "extract":
		err = pipeline.Extract(s, pipeline.ExtractConfig{Input: in, Output: *output, Shards: *shards, MaxArchive: *maxArchive})
	case "scan":
		err = pipeline.Scan(s, pipeline.ScanConfig{Input: in, Model: *model, Output: *output, Shards: *shards,
			Reasons: *reasons, MaxArchive: *maxArchive, SARIF: *sarif})
	default:
		flag.Usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
	if err != nil {
		return err
	}
	res, err := beamx.RunWithMetrics(ctx, p)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	if res != nil {
		pipeline.PrintCounters(w, res)
	}
	fmt.Fprintf(w, "wrote %s\n", *output)
	return nil
}
