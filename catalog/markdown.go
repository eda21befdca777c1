package catalog

import (
	"bytes"
	"fmt"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders catalog Markdown to HTML that is safe to put in a page
// as it is. Why it is safe:
//
//   - goldmark's HTML renderer is used without html.WithUnsafe(), so raw
//     HTML in the source (a <script>, an <img onerror=…>, an inline tag)
//     is never copied out: it becomes the comment "raw HTML omitted";
//   - every text and attribute value it writes is HTML-escaped;
//   - link and image destinations that are dangerous (javascript:,
//     vbscript:, data: other than images, file:) are dropped;
//   - the transformer below only adds fixed attributes, and shifts heading
//     levels so that an author's "# Title" cannot compete with the page's
//     own <h1>.
//
// Instructions are rendered once, when the catalog loads, so a page never
// parses Markdown and templates show the stored result with templ.Raw.
var markdown = goldmark.New(
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkHardener{}, 100))),
)

// linkHardener marks every link rel="nofollow noopener": catalog authors
// link to documentation, and a link in an objective must neither lend the
// server's reputation to a page nor give it a handle on this one.
type linkHardener struct{}

// minHeading is the highest heading level an objective's Markdown gets:
// the page has its <h1> (the title) and <h2> sections around it.
const minHeading = 3

func (linkHardener) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link, *ast.AutoLink:
			n.SetAttributeString("rel", []byte("nofollow noopener"))
		case *ast.Heading:
			n.Level = min(n.Level+minHeading-1, 6)
		}
		return ast.WalkContinue, nil
	})
}

// renderMarkdown turns one Markdown text into safe HTML (see markdown).
func renderMarkdown(src string) (string, error) {
	var b bytes.Buffer
	if err := markdown.Convert([]byte(src), &b); err != nil {
		return "", fmt.Errorf("render Markdown: %w", err)
	}
	return b.String(), nil
}
