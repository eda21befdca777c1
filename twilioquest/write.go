package twilioquest

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/questgate/questgate/catalog"
	"github.com/questgate/questgate/locale"
	"github.com/questgate/questgate/quest"
)

// WriteDir writes files under dir, creating folders as needed and
// replacing files of an earlier export; files the earlier export had and
// this one lacks stay.
func WriteDir(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write extension: %w", err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return fmt.Errorf("write extension: %w", err)
		}
	}
	return nil
}

// WriteZip writes files as a zip archive whose one folder is root, the
// folder a player unpacks into TwilioQuest's extensions folder. Entries are
// dated modified, so that one export gives the same bytes twice.
func WriteZip(w io.Writer, root string, files []File, modified time.Time) error {
	zw := zip.NewWriter(w)
	for _, f := range files {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: root + "/" + f.Path, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return fmt.Errorf("zip extension: %w", err)
		}
		if _, err := fw.Write(f.Data); err != nil {
			return fmt.Errorf("zip extension: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("zip extension: %w", err)
	}
	return nil
}

// FolderName is the extension's folder for a cohort.
func FolderName(joinCode string) string { return "questgate-" + strings.ToLower(joinCode) }

// Exporter exports the extension of one catalog for any cohort, as the
// instructors' dashboard offers it for download.
type Exporter struct {
	Catalog *catalog.Catalog
	Bundle  *locale.Bundle
	// Version is the extensions' version (Options.Version).
	Version string
	// Now dates the archive's entries; time.Now when nil.
	Now func() time.Time
}

// WriteZip writes the extension of cohort co, verified at publicURL, as a
// zip archive, and returns the archive's file name.
func (x Exporter) WriteZip(w io.Writer, co quest.Cohort, publicURL string) (string, error) {
	files, err := Export(x.Catalog, x.Bundle, Options{PublicURL: publicURL, JoinCode: co.JoinCode, CohortName: co.Name, Version: x.Version})
	if err != nil {
		return "", err
	}
	now := time.Now
	if x.Now != nil {
		now = x.Now
	}
	root := FolderName(co.JoinCode)
	return root + ".zip", WriteZip(w, root, files, now())
}
