package dataset

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// cloneRemotes clones FetchOptions.MalRegistry and Repos when they are git
// URLs, into scratch folders inside Out (so nothing is written elsewhere),
// and returns the options pointing at the clones and a cleanup that
// removes them.
func cloneRemotes(ctx context.Context, opt FetchOptions) (FetchOptions, func(), error) {
	var scratch []string
	cleanup := func() {
		for _, d := range scratch {
			os.RemoveAll(d)
		}
	}
	log := opt.Log
	if log == nil {
		log = io.Discard
	}
	if IsGitURL(opt.MalRegistry) {
		dir, err := cloneMalRegistry(ctx, opt.MalRegistry, opt.Out, log)
		if err != nil {
			return opt, cleanup, err
		}
		scratch = append(scratch, dir)
		opt.MalRegistry = dir
	}
	if IsGitURL(opt.Repos) {
		dir, err := cloneRepos(ctx, opt.Repos, opt.Manifest, opt.Out, log)
		if err != nil {
			cleanup()
			return opt, func() {}, err
		}
		scratch = append(scratch, dir)
		opt.Repos = dir
	}
	return opt, cleanup, nil
}

// IsGitURL tells a remote ("https://…", "ssh://…", "file://…",
// "git@host:path") from a local path.
func IsGitURL(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	user, rest, ok := strings.Cut(s, "@")
	host, _, ok2 := strings.Cut(rest, ":")
	return ok && ok2 && user != "" && host != "" && !strings.ContainsAny(user+host, "/\\")
}

// cloneMalRegistry makes a bare, blobless clone of url in a scratch folder
// inside out (so nothing is written elsewhere); git show fetches the blobs
// it needs. Nothing is checked out.
func cloneMalRegistry(ctx context.Context, url, out string, log io.Writer) (string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	dir, err := os.MkdirTemp(out, ".malregistry-")
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	if err := cloneBare(ctx, url, dir, log); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// cloneRepos clones, bare and blobless, every repository that the
// manifest's pypi-published rows name, from prefix/OWNER/REPO into a scratch
// folder inside out laid out as Fetch's Repos folder. A repository that
// cannot be cloned is left out: its rows fail in Fetch, the others go on.
func cloneRepos(ctx context.Context, prefix, manifest, out string, log io.Writer) (string, error) {
	rows, err := ReadManifestFile(manifest)
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	dir, err := os.MkdirTemp(out, ".repos-")
	if err != nil {
		return "", fmt.Errorf("fetch: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if r.Source != SourcePyPIPublished {
			continue
		}
		repo, _, _, err := ParseRepoRef(r.SourceRef)
		if err != nil || seen[repo] {
			continue // a bad ref fails its row in Fetch
		}
		seen[repo] = true
		dst := filepath.Join(dir, filepath.FromSlash(repo))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			os.RemoveAll(dir)
			return "", fmt.Errorf("fetch: %w", err)
		}
		if err := cloneBare(ctx, strings.TrimSuffix(prefix, "/")+"/"+repo, dst, log); err != nil {
			fmt.Fprintf(log, "%v\n", err)
			os.RemoveAll(dst)
		}
	}
	return dir, nil
}

// cloneBare clones url into dir without a work tree; git show fetches the
// blobs it needs later.
func cloneBare(ctx context.Context, url, dir string, log io.Writer) error {
	fmt.Fprintf(log, "cloning %s (bare, blobs on demand)\n", url)
	cmd := exec.CommandContext(ctx, "git", "clone", "--quiet", "--bare", "--filter=blob:none", "--", url, dir)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("fetch: git clone %s: %w: %s", url, err, strings.TrimSpace(string(msg)))
	}
	return nil
}
