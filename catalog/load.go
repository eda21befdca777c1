package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// How a catalog file combines with the embedded catalog (its top-level
// "mode"). See docs/objectives.md.
const (
	// ModeExtend, the default, keeps the embedded objectives: a file
	// objective with the id of an embedded one replaces it where it
	// stands, any other is added after them, and ids listed under
	// "remove" are dropped.
	ModeExtend = "extend"
	// ModeReplace uses the file's objectives only.
	ModeReplace = "replace"
)

// file is the shape of a catalog file.
type file struct {
	Mode       string      `yaml:"mode"`
	Remove     []string    `yaml:"remove"`
	Objectives []Objective `yaml:"objectives"`
}

// Error is one problem in a catalog file, placed so an author can go
// straight to it: the file, the line and column (zero when unknown), the
// field (a YAML path such as objectives[2].checks.status_in) and what is
// wrong or allowed.
type Error struct {
	File    string
	Line    int
	Column  int
	Field   string
	Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Column)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Errors are every problem found in a catalog, in file order. Load and
// Parse return them as one error; errors.As gives the list back.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// source is a parsed catalog file, kept to place errors on its lines.
type source struct {
	name string
	ast  *ast.File
}

// errorAt returns an Error for the node at path ("$.objectives[0].xp"),
// or at the nearest enclosing node that exists (a missing field is
// reported on its objective).
func (s *source) errorAt(path, format string, args ...any) *Error {
	e := &Error{File: s.name, Field: strings.TrimPrefix(path, "$."), Message: fmt.Sprintf(format, args...)}
	for p := path; p != "$" && p != ""; p = parentPath(p) {
		yp, err := yaml.PathString(p)
		if err != nil || s.ast == nil {
			break
		}
		n, err := yp.FilterFile(s.ast)
		if err != nil || n == nil || n.GetToken() == nil {
			continue
		}
		pos := n.GetToken().Position
		e.Line, e.Column = pos.Line, pos.Column
		break
	}
	return e
}

// parentPath drops the last step of a YAML path.
func parentPath(p string) string {
	i := max(strings.LastIndexByte(p, '.'), strings.LastIndexByte(p, '['))
	if i <= 0 {
		return "$"
	}
	return p[:i]
}

// Default returns the catalog embedded in the binary.
func Default() (*Catalog, error) {
	return Parse("catalog.yaml", embedded)
}

// Parse decodes and validates a complete catalog on its own (mode and
// remove are refused: there is nothing to extend).
func Parse(name string, data []byte) (*Catalog, error) {
	return load(name, data, nil)
}

// LoadFile reads a catalog file and combines it with base as its mode
// says (see Load).
func LoadFile(path string, base *Catalog) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("objectives file: %w", err)
	}
	return Load(path, data, base)
}

// Load decodes a catalog file named name and combines it with base (the
// embedded catalog) as its mode says: extend (the default) or replace.
// Everything is validated on the result, prerequisites included, and
// every problem is reported at once as Errors.
func Load(name string, data []byte, base *Catalog) (*Catalog, error) {
	if base == nil {
		return nil, errors.New("catalog: Load needs a base catalog; use Parse for a catalog on its own")
	}
	return load(name, data, base)
}

// entry is an objective with where it came from, to place its errors.
type entry struct {
	o     Objective
	src   *source
	index int // in src's objectives list; -1 when it came from base
}

func (e entry) path(field string) string {
	p := fmt.Sprintf("$.objectives[%d]", e.index)
	if field != "" {
		p += "." + field
	}
	return p
}

func load(name string, data []byte, base *Catalog) (*Catalog, error) {
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, Errors{yamlError(name, err)}
	}
	src := &source{name: name, ast: tree}
	var doc file
	if err := yaml.UnmarshalWithOptions(data, &doc, yaml.DisallowUnknownField()); err != nil {
		return nil, Errors{yamlError(name, err)}
	}

	var errs Errors
	var entries []entry
	switch {
	case base == nil && (doc.Mode != "" || len(doc.Remove) > 0):
		errs = append(errs, src.errorAt("$.mode", "a complete catalog has no mode or remove: they only apply to a file loaded with --objectives"))
	case doc.Mode != "" && doc.Mode != ModeExtend && doc.Mode != ModeReplace:
		errs = append(errs, src.errorAt("$.mode", "%q is not a mode (allowed: %s, the default, or %s)", doc.Mode, ModeExtend, ModeReplace))
	case doc.Mode == ModeReplace && len(doc.Remove) > 0:
		errs = append(errs, src.errorAt("$.remove", "remove only applies with mode %s: with %s, leave out what you do not want", ModeExtend, ModeReplace))
	}
	if base != nil && doc.Mode != ModeReplace {
		for _, o := range base.objectives {
			entries = append(entries, entry{o: o, index: -1})
		}
	}
	removed := map[string]int{}
	for i, id := range doc.Remove {
		if !base.has(id) {
			errs = append(errs, src.errorAt(fmt.Sprintf("$.remove[%d]", i), "%q is not an embedded objective (allowed: %s)", id, strings.Join(base.ids(), ", ")))
			continue
		}
		removed[id] = i
	}
	entries = slices.DeleteFunc(entries, func(e entry) bool { _, ok := removed[e.o.ID]; return ok })

	seen := map[string]int{}
	for i, o := range doc.Objectives {
		e := entry{o: o, src: src, index: i}
		errs = append(errs, e.validate()...)
		if j, dup := seen[o.ID]; dup && o.ID != "" {
			errs = append(errs, src.errorAt(e.path("id"), "%q is already the id of objective %d: ids must be unique", o.ID, j+1))
			continue
		}
		seen[o.ID] = i
		if _, gone := removed[o.ID]; gone {
			errs = append(errs, src.errorAt(e.path("id"), "%q is also listed under remove: keep one or the other", o.ID))
			continue
		}
		if k := slices.IndexFunc(entries, func(x entry) bool { return x.o.ID == o.ID }); k >= 0 {
			entries[k] = e
		} else {
			entries = append(entries, e)
		}
	}
	if len(doc.Objectives) == 0 && (base == nil || doc.Mode == ModeReplace) {
		errs = append(errs, src.errorAt("$.objectives", "no objectives: list at least one"))
	}
	errs = append(errs, checkPrerequisites(entries, src, removed)...)
	errs = append(errs, checkReusedProofs(entries, src, removed)...)
	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b *Error) int { return a.Line - b.Line })
		return nil, errs
	}

	c := &Catalog{byID: map[string]int{}}
	for i, e := range entries {
		c.byID[e.o.ID] = i
		c.objectives = append(c.objectives, e.o)
	}
	return c, nil
}

// yamlError places a decoding error reported by go-yaml.
func yamlError(name string, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		pos := ye.GetToken().Position
		msg := ye.GetMessage()
		if strings.Contains(msg, "unknown field") {
			msg += " (see docs/objectives.md for the fields an objective may have)"
		}
		return &Error{File: name, Line: pos.Line, Column: pos.Column, Message: msg}
	}
	return &Error{File: name, Message: err.Error()}
}

// has reports whether c (possibly nil) holds id.
func (c *Catalog) has(id string) bool {
	if c == nil {
		return false
	}
	_, ok := c.byID[id]
	return ok
}

// ids lists the catalog's objective ids, for error messages.
func (c *Catalog) ids() []string {
	if c == nil {
		return nil
	}
	out := make([]string, len(c.objectives))
	for i, o := range c.objectives {
		out[i] = o.ID
	}
	return out
}

// checkPrerequisites reports prerequisites that name no objective of the
// result, objectives that need themselves, and cycles.
func checkPrerequisites(entries []entry, src *source, removed map[string]int) Errors {
	var errs Errors
	byID := map[string]entry{}
	for _, e := range entries {
		byID[e.o.ID] = e
	}
	var known []string
	for _, e := range entries {
		known = append(known, e.o.ID)
	}
	for _, e := range entries {
		for j, p := range e.o.Prerequisites {
			if _, ok := byID[p]; ok && p != e.o.ID {
				continue
			}
			var err *Error
			switch {
			case p == e.o.ID:
				err = src.errorAt(e.path(fmt.Sprintf("prerequisites[%d]", j)), "an objective cannot be its own prerequisite")
			case e.index < 0:
				// An embedded objective lost its prerequisite to remove.
				err = src.errorAt(fmt.Sprintf("$.remove[%d]", removed[p]),
					"%q is a prerequisite of the embedded objective %q: remove that one too, or redefine it without the prerequisite", p, e.o.ID)
			default:
				err = src.errorAt(e.path(fmt.Sprintf("prerequisites[%d]", j)), "%q is not an objective (allowed: %s)", p, strings.Join(known, ", "))
			}
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errs
	}
	// Depth-first search for a cycle; report it once, on the first file
	// objective in it (embedded objectives cannot form one alone).
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var cycle []string
	var visit func(id string) bool
	visit = func(id string) bool {
		state[id] = visiting
		stack = append(stack, id)
		for _, p := range byID[id].o.Prerequisites {
			switch state[p] {
			case visiting:
				cycle = append(slices.Clone(stack[slices.Index(stack, p):]), p)
				return true
			case unvisited:
				if visit(p) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		return false
	}
	for _, e := range entries {
		if state[e.o.ID] == unvisited && visit(e.o.ID) {
			at := byID[cycle[0]]
			for _, id := range cycle {
				if byID[id].index >= 0 {
					at = byID[id]
					break
				}
			}
			next := cycle[slices.Index(cycle, at.o.ID)+1]
			field := fmt.Sprintf("prerequisites[%d]", slices.Index(at.o.Prerequisites, next))
			return Errors{src.errorAt(at.path(field), "prerequisites form a cycle (%s): no player could ever unlock these objectives",
				strings.Join(cycle, " → "))}
		}
	}
	return nil
}

// checkReusedProofs reports reuses_proof_of entries that name no objective
// of the result, or one of another kind (a call's SID never proves a
// message, so sharing its proof could only be a typo).
func checkReusedProofs(entries []entry, src *source, removed map[string]int) Errors {
	var errs Errors
	byID := map[string]entry{}
	var known []string
	for _, e := range entries {
		byID[e.o.ID] = e
		known = append(known, e.o.ID)
	}
	for _, e := range entries {
		for j, p := range e.o.ReusesProofOf {
			other, ok := byID[p]
			field := e.path(fmt.Sprintf("reuses_proof_of[%d]", j))
			switch {
			case p == e.o.ID:
				// validate reported it.
			case !ok && e.index < 0:
				errs = append(errs, src.errorAt(fmt.Sprintf("$.remove[%d]", removed[p]),
					"%q is in reuses_proof_of of the embedded objective %q: remove that one too, or redefine it without it", p, e.o.ID))
			case !ok:
				errs = append(errs, src.errorAt(field, "%q is not an objective (allowed: %s)", p, strings.Join(known, ", ")))
			case other.o.Kind != e.o.Kind:
				errs = append(errs, src.errorAt(field, "%q is a %s objective and this one a %s: a SID cannot prove both",
					p, other.o.Kind, e.o.Kind))
			}
		}
	}
	return errs
}

// Summary describes a loaded catalog in a few lines, for authors running
// `questgate objectives check`.
func (c *Catalog) Summary() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d objectives:\n", len(c.objectives))
	for _, o := range c.objectives {
		fmt.Fprintf(&b, "  %-20s %-8s %4d XP  prefixes %s", o.ID, o.Kind, o.XP, strings.Join(o.Prefixes(), "/"))
		if len(o.Prerequisites) > 0 {
			fmt.Fprintf(&b, "  after %s", strings.Join(o.Prerequisites, ", "))
		}
		if len(o.ReusesProofOf) > 0 {
			fmt.Fprintf(&b, "  reuses proof of %s", strings.Join(o.ReusesProofOf, ", "))
		}
		if o.MaxAttempts > 0 {
			fmt.Fprintf(&b, "  max %d attempts", o.MaxAttempts)
			if o.Window > 0 {
				fmt.Fprintf(&b, " per %s", o.Window)
			}
		}
		if len(o.Items) > 0 {
			fmt.Fprintf(&b, "  items %s", strings.Join(o.ItemIDs(), ", "))
		}
		if len(o.Hints) > 0 {
			fmt.Fprintf(&b, "  %d hints", len(o.Hints))
		}
		b.WriteByte('\n')
	}
	return b.String()
}
