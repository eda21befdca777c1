// Package static embeds the stylesheets, scripts and images the pages use,
// so the binary is all a deployment needs.
package static

import (
	"embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

//go:embed css js img
var files embed.FS

// Routes serves the embedded files under the group's prefix. Files are
// immutable within a release, so browsers may cache them for a day.
func Routes(g *echo.Group) {
	fs := http.FileServer(http.FS(files))
	g.GET("/*", func(c echo.Context) error {
		c.Response().Header().Set("Cache-Control", "public, max-age=86400")
		r := c.Request().Clone(c.Request().Context())
		r.URL.Path = "/" + c.Param("*")
		fs.ServeHTTP(c.Response(), r)
		return nil
	})
}
