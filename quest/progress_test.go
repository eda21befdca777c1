package quest_test

import (
	"testing"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/quest"
)

// chain is a catalog where one objective unlocks two, and a third stands
// alone.
const chain = `
objectives:
  - {id: a, kind: message, title: {en: a, fr: a}, summary: {en: a, fr: a}, instructions: {en: a, fr: a}}
  - {id: lone, kind: message, title: {en: l, fr: l}, summary: {en: l, fr: l}, instructions: {en: l, fr: l}}
  - {id: b, kind: message, prerequisites: [a], title: {en: b, fr: b}, summary: {en: b, fr: b}, instructions: {en: b, fr: b}}
  - {id: c, kind: message, prerequisites: [a, lone], title: {en: c, fr: c}, summary: {en: c, fr: c}, instructions: {en: c, fr: c}}
`

func TestLeadsOn(t *testing.T) {
	cat, err := catalog.Parse("chain.yaml", []byte(chain))
	if err != nil {
		t.Fatal(err)
	}
	svc := quest.New(quest.Config{Catalog: cat})
	held := func(ids ...string) map[string]quest.Award {
		m := map[string]quest.Award{}
		for _, id := range ids {
			m[id] = quest.Award{ObjectiveID: id}
		}
		return m
	}
	get := func(id string) catalog.Objective { o, _ := cat.Get(id); return o }
	for _, tt := range []struct {
		name     string
		won      string
		awards   map[string]quest.Award
		unlocked []string
		next     string
	}{
		{"first win opens b, not c", "a", held("a"), []string{"b"}, "b"},
		{"the last prerequisite opens c", "lone", held("a", "lone"), []string{"c"}, "c"},
		{"both open after a", "a", held("lone", "a"), []string{"b", "c"}, "b"},
		{"nothing unlocked: the next open one", "lone", held("lone"), nil, "a"},
		{"everything held", "c", held("a", "lone", "b", "c"), nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := svc.LeadsOn(new(get(tt.won)), tt.awards)
			var ids []string
			for _, o := range got.Unlocked {
				ids = append(ids, o.ID)
			}
			next := ""
			if got.Next != nil {
				next = got.Next.ID
			}
			if len(ids) != len(tt.unlocked) || next != tt.next {
				t.Fatalf("unlocked %v, next %q; want %v, %q", ids, next, tt.unlocked, tt.next)
			}
			for i := range ids {
				if ids[i] != tt.unlocked[i] {
					t.Errorf("unlocked %v, want %v", ids, tt.unlocked)
				}
			}
		})
	}
}
