package pipeline

import (
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.Function1x1(laneOf)
}

// Lanes is how many parallel branches the packages are spread over (by a
// hash of their id), each with its own Reshuffle and per-package DoFn.
//
// Distributed runners do not need it: they split the reshuffled jobs into
// many bundles and balance them over their workers, and lanes change
// nothing there but the number of steps in the graph. The local prism
// runner does need it: it hands all the pending elements of a stage to one
// bundle and splits a bundle only when its progress stalls, so a single
// extraction stage runs on one core; each lane is a stage of its own, and
// prism runs the lanes' bundles at the same time (up to 8), so they use
// every core the machine has.
const Lanes = 8

// laneOf is the lane of a job, from its package id.
func laneOf(j Job) int { return shardOf(j.Row.ID, Lanes) }

// inLanes applies dofn (one Job in, n outputs) to jobs in Lanes parallel
// branches and flattens each of its n outputs over the lanes.
func inLanes(s beam.Scope, dofn any, jobs beam.PCollection, n int) []beam.PCollection {
	parts := beam.Partition(s, Lanes, laneOf, jobs)
	outs := make([][]beam.PCollection, n)
	for i, p := range parts {
		ls := s.Scope(fmt.Sprintf("Lane%02d", i))
		for k, c := range beam.ParDoN(ls, dofn, beam.Reshuffle(ls, p)) {
			outs[k] = append(outs[k], c)
		}
	}
	flat := make([]beam.PCollection, n)
	for k, cs := range outs {
		flat[k] = beam.Flatten(s, cs...)
	}
	return flat
}
