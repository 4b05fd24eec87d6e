package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	register.DoFn2x0[Line, func(string, Line)](&shardKeyFn{})
	register.DoFn2x0[string, func(string, Line)](&emptyShardFn{})
	register.DoFn3x1[context.Context, string, func(*Line) bool, error](&writeShardFn{})
	register.Emitter1[Line]()
	register.Emitter2[string, Line]()
	register.Iter1[Line]()
}

// Line is one package's part of an output file: a features.csv record,
// its tokens.tsv lines, an errors.csv record or a JSON line.
type Line struct {
	File string // output file kind, a key of the writer's Files
	ID   string // package id (or path): the sort key within a shard
	Text []byte
}

// FileKind is an output file: shards are named Prefix-SSSSS-of-NNNNN+Ext and
// start with Header.
type FileKind struct {
	Prefix, Ext string
	Header      []byte
}

// writeShards writes lines into shards files per kind under dir, every
// shard (empty ones too, with their header) so that readers can count on
// the set. A package goes to the shard its id hashes to; each shard is
// sorted by id, so the output does not depend on the runner's schedule.
func writeShards(s beam.Scope, dir string, shards int, kinds map[string]FileKind, lines beam.PCollection) {
	s = s.Scope("WriteShards")
	keyed := beam.ParDo(s, &shardKeyFn{Shards: shards}, lines)
	var keys []string
	for k := range kinds {
		for i := range shards {
			keys = append(keys, shardKey(k, i))
		}
	}
	slices.Sort(keys)
	empty := beam.ParDo(s, &emptyShardFn{}, beam.CreateList(s, keys))
	grouped := beam.GroupByKey(s, beam.Flatten(s, keyed, empty))
	beam.ParDo0(s, &writeShardFn{Dir: dir, Shards: shards, Kinds: kinds}, grouped)
}

func shardKey(kind string, shard int) string { return fmt.Sprintf("%s\x00%05d", kind, shard) }

// shardOf spreads ids evenly and stably over shards.
func shardOf(id string, shards int) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(shards))
}

type shardKeyFn struct{ Shards int }

func (f *shardKeyFn) ProcessElement(l Line, emit func(string, Line)) {
	emit(shardKey(l.File, shardOf(l.ID, f.Shards)), l)
}

// emptyShardFn makes every shard exist: an empty Line is its marker.
type emptyShardFn struct{}

func (emptyShardFn) ProcessElement(key string, emit func(string, Line)) { emit(key, Line{}) }

type writeShardFn struct {
	Dir    string
	Shards int
	Kinds  map[string]FileKind
}

// ProcessElement holds one shard in memory to sort it: with N shards a
// shard is 1/N of the output (see docs/SCALE.md for sizing N).
func (f *writeShardFn) ProcessElement(ctx context.Context, key string, iter func(*Line) bool) error {
	kind, num, _ := strings.Cut(key, "\x00")
	fk, ok := f.Kinds[kind]
	shard, err := strconv.Atoi(num)
	if !ok || err != nil {
		return fmt.Errorf("shard key %q: unknown output file", key)
	}
	var lines []Line
	var l Line
	for iter(&l) {
		if l.File != "" { // not the empty-shard marker
			lines = append(lines, l)
		}
		l = Line{}
	}
	slices.SortStableFunc(lines, func(a, b Line) int { return cmp.Compare(a.ID, b.ID) })
	var buf bytes.Buffer
	buf.Write(fk.Header)
	for _, l := range lines {
		buf.Write(l.Text)
	}
	name := joinPath(f.Dir, fmt.Sprintf("%s-%05d-of-%05d%s", fk.Prefix, shard, f.Shards, fk.Ext))
	return writeFile(ctx, name, buf.Bytes())
}
