// Package static embeds the stylesheets, scripts and images the pages use,
// so the binary is all a deployment needs.
package static

import (
	"embed"
	iofs "io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

//go:embed css js img
var files embed.FS

// Routes serves the embedded files under the group's prefix. Files are
// immutable within a release, so browsers may cache them for a day.
// Folders are not files: asking for one (with or without its final "/")
// is a plain 404, never a listing of what the release ships.
func Routes(g *echo.Group) {
	fs := http.FileServer(http.FS(files))
	g.GET("/*", func(c echo.Context) error {
		name := c.Param("*")
		if name == "" || strings.HasSuffix(name, "/") {
			return echo.ErrNotFound
		}
		if st, err := iofs.Stat(files, path.Clean(name)); err != nil || st.IsDir() {
			return echo.ErrNotFound
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		r := c.Request().Clone(c.Request().Context())
		r.URL.Path = "/" + c.Param("*")
		fs.ServeHTTP(c.Response(), r)
		return nil
	})
}
