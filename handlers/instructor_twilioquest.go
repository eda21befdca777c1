package handlers

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
)

// ExtensionExporter writes a cohort's TwilioQuest extension as a zip
// archive (*twilioquest.Exporter), whose validators reach questgate at
// publicURL; it returns the archive's file name.
type ExtensionExporter interface {
	WriteZip(w io.Writer, co quest.Cohort, publicURL string) (string, error)
}

// extensionURL is the download of a cohort's TwilioQuest extension.
func extensionURL(id int64) string { return cohortURL(id) + "/twilioquest.zip" }

// twilioquestZip downloads the :id cohort's TwilioQuest extension, the
// same as `questgate twilioquest export` writes, as a zip archive.
func (h *Instructor) twilioquestZip(c echo.Context) error {
	props, err := h.cohortProps(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	name, err := h.cfg.Extensions.WriteZip(&buf, props.Cohort, h.publicBase(c))
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	hd.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	hd.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/zip", buf.Bytes())
}
