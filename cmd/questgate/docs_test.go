package main

import (
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v3"
)

// The documentation lives beside the code, and these tests keep the two
// telling the same story: every flag a command takes is documented for
// operators with its environment variables, every flag the documentation
// names exists, every relative link leads somewhere, and the README's
// architecture section names every package in the tree and no other.

// repoRoot is where README.md and docs/ are, seen from this package.
const repoRoot = "../.."

// readDoc returns a documentation file of the repository.
func readDoc(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// commandFlag is one flag of one command, with its command's path
// ("sandbox account create").
type commandFlag struct {
	command string
	names   []string
	env     []string
}

// allFlags walks the command tree and returns every flag but help and
// version, which urfave/cli adds.
func allFlags() []commandFlag {
	var out []commandFlag
	var walk func(prefix string, c *cli.Command)
	walk = func(prefix string, c *cli.Command) {
		for _, f := range c.Flags {
			names := f.Names()
			if slices.Contains(names, "help") || slices.Contains(names, "version") {
				continue
			}
			cf := commandFlag{command: strings.TrimSpace(prefix), names: names}
			if e, ok := f.(interface{ GetEnvVars() []string }); ok {
				cf.env = e.GetEnvVars()
			}
			out = append(out, cf)
		}
		for _, sub := range c.Commands {
			walk(prefix+" "+sub.Name, sub)
		}
	}
	walk("", newApp(func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard))
	return out
}

// configurationRows returns the rows of operators.md's configuration
// table: the first cell, and the whole row.
func configurationRows(t *testing.T) map[string][]string {
	t.Helper()
	doc := readDoc(t, "docs/operators.md")
	start := strings.Index(doc, "\n## Configuration\n")
	if start < 0 {
		t.Fatal("docs/operators.md has no Configuration section")
	}
	section := doc[start+1:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	rows := map[string][]string{}
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		rows[strings.TrimSpace(cells[1])] = append(rows[strings.TrimSpace(cells[1])], line)
	}
	if len(rows) == 0 {
		t.Fatal("docs/operators.md's Configuration section has no table")
	}
	return rows
}

// TestEveryFlagIsDocumented: an operator reading docs/operators.md finds
// every flag of every command; a flag that has environment variables has
// a row of the configuration table naming the flag and all of them.
func TestEveryFlagIsDocumented(t *testing.T) {
	doc := readDoc(t, "docs/operators.md")
	rows := configurationRows(t)
	for _, f := range allFlags() {
		name := "--" + f.names[0]
		if !strings.Contains(doc, name) {
			t.Errorf("questgate %s %s is not in docs/operators.md", f.command, name)
			continue
		}
		if len(f.env) == 0 {
			continue
		}
		found := false
		for first, lines := range rows {
			if !strings.Contains(first, "`"+name+"`") && !strings.Contains(first, " "+name+"`") {
				continue
			}
			for _, line := range lines {
				if !slices.ContainsFunc(f.env, func(env string) bool { return !strings.Contains(line, "`"+env+"`") }) {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("questgate %s %s: no row of docs/operators.md's configuration table names it with %s",
				f.command, name, strings.Join(f.env, " and "))
		}
	}
}

// TestDocumentedFlagsExist: every flag the configuration table lists is
// one some command takes, so a renamed or removed flag cannot linger in
// the documentation.
func TestDocumentedFlagsExist(t *testing.T) {
	exists := map[string]bool{}
	for _, f := range allFlags() {
		for _, n := range f.names {
			exists["--"+n] = true
		}
	}
	flag := regexp.MustCompile(`--[a-z][a-z0-9-]*`)
	for first := range configurationRows(t) {
		for _, name := range flag.FindAllString(first, -1) {
			if !exists[name] {
				t.Errorf("docs/operators.md documents %s, which no command takes", name)
			}
		}
	}
}

// docFiles are the Markdown files a reader follows links through.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md"}
	for _, pattern := range []string{"docs/*.md", "examples/*/README.md"} {
		m, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			rel, err := filepath.Rel(repoRoot, f)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, filepath.ToSlash(rel))
		}
	}
	return files
}

// anchors returns the fragment GitHub gives each heading of a Markdown
// document: lower case, spaces as hyphens, other punctuation dropped.
func anchors(doc string) map[string]bool {
	out := map[string]bool{}
	inFence := false
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for line := range strings.SplitSeq(doc, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if inFence || !strings.HasPrefix(line, "#") {
			continue
		}
		heading := strings.TrimSpace(strings.TrimLeft(line, "#"))
		out[strings.ReplaceAll(drop.ReplaceAllString(strings.ToLower(heading), ""), " ", "-")] = true
	}
	return out
}

// TestDocLinksResolve: every relative link of the README, docs/ and the
// examples' READMEs names a file of the repository and, with a
// fragment, a heading of that file.
func TestDocLinksResolve(t *testing.T) {
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, file := range docFiles(t) {
		doc := readDoc(t, file)
		for _, m := range link.FindAllStringSubmatch(doc, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			name, fragment, _ := strings.Cut(target, "#")
			resolved := file
			if name != "" {
				resolved = path.Join(path.Dir(file), name)
			}
			if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(resolved))); err != nil {
				t.Errorf("%s links to %s, which does not exist", file, target)
				continue
			}
			if fragment != "" && !anchors(readDoc(t, resolved))[fragment] {
				t.Errorf("%s links to %s: %s has no heading #%s", file, target, resolved, fragment)
			}
		}
	}
}

// goDirs returns every directory of the repository holding Go files,
// relative to its root, testdata and hidden folders left out.
func goDirs(t *testing.T) []string {
	t.Helper()
	seen := map[string]bool{}
	err := filepath.WalkDir(repoRoot, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != repoRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			rel, err := filepath.Rel(repoRoot, filepath.Dir(p))
			if err != nil {
				return err
			}
			if rel != "." {
				seen[filepath.ToSlash(rel)] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dirs := make([]string, 0, len(seen))
	for d := range seen {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	return dirs
}

// TestArchitectureMatchesTree: the README's architecture section is one
// screen, names every package of the tree (a package is named when it or
// a folder above it is), and names no package that is gone.
func TestArchitectureMatchesTree(t *testing.T) {
	readme := readDoc(t, "README.md")
	start := strings.Index(readme, "\n## Architecture\n")
	if start < 0 {
		t.Fatal("README.md has no Architecture section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	if n := strings.Count(section, "\n"); n > 45 {
		t.Errorf("README's architecture section has %d lines: more than a screen", n)
	}
	named := map[string]bool{}
	code := regexp.MustCompile("`([a-z0-9_./-]+)`")
	for line := range strings.SplitSeq(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.Split(line, "|")[1]
		for _, m := range code.FindAllStringSubmatch(first, -1) {
			named[m[1]] = true
			if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(m[1]))); err != nil {
				t.Errorf("README's architecture names %s, which is not in the tree", m[1])
			}
		}
	}
	for _, dir := range goDirs(t) {
		covered := false
		for p := dir; p != "."; p = path.Dir(p) {
			if named[p] {
				covered = true
				break
			}
		}
		if !covered {
			t.Errorf("README's architecture does not name %s", dir)
		}
	}
}
