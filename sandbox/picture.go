package sandbox

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/questgate/questgate/quest"
)

const paramMedia = "media"

var mediaSIDPattern = regexp.MustCompile(`^ME[0-9a-f]{32}$`)

// fetchMedia answers GET …/Messages/{Sid}/Media/{MediaSid}: with .json
// the Media resource, as Twilio's; without, the file itself. Twilio
// redirects the latter to a copy of the file it downloaded from MediaUrl;
// the sandbox never downloads anything (a workshop runs offline, and a
// player's URL is no address for the server to call), so it answers a
// picture it draws instead, in the content type the message's media
// reports (a PNG for a WebP, which Go cannot write), different for each
// media SID. A media file that is no picture answers a few bytes of text
// under its own content type, as a stand-in.
func (s *Sandbox) fetchMedia(c echo.Context) error {
	sid, raw := c.Param(paramSID), c.Param(paramMedia)
	mediaSID, asJSON := strings.CutSuffix(raw, ".json")
	if !messageSIDPattern.MatchString(sid) || !mediaSIDPattern.MatchString(mediaSID) {
		return writeError(c, notFound(apiPath(c)))
	}
	ctx := c.Request().Context()
	account := authAccount(c).SID
	media, err := s.st.SandboxMedia(ctx, account, sid)
	if err != nil && !errors.Is(err, quest.ErrNotFound) {
		return fail(c, err)
	}
	for _, m := range media {
		if m.SID != mediaSID {
			continue
		}
		if asJSON {
			base := apiRoot + "/Accounts/" + account + "/Messages/" + sid + "/Media"
			return writeJSON(c, http.StatusOK, mediaResource{AccountSID: m.AccountSID, ContentType: m.ContentType,
				DateCreated: rfc2822(m.CreatedAt), DateUpdated: rfc2822(m.CreatedAt), ParentSID: m.MessageSID,
				SID: m.SID, URI: base + "/" + m.SID + ".json"})
		}
		ct, body, err := placeholder(m.SID, m.ContentType)
		if err != nil {
			return fail(c, err)
		}
		c.Response().Header().Set(echo.HeaderCacheControl, "private, max-age=3600")
		return c.Blob(http.StatusOK, ct, body)
	}
	return writeError(c, notFound(apiPath(c)))
}

// placeholder draws the stand-in for media sid of content type ct: a
// small landscape (sky, sun, two hills), the universal sign for a
// picture, in colours drawn from the SID. It returns the content type it
// wrote.
func placeholder(sid, ct string) (string, []byte, error) {
	if !strings.HasPrefix(ct, "image/") {
		return ct, []byte("questgate sandbox: stand-in for " + sid + "\n"), nil
	}
	const w, h = 320, 200
	sum := sha256.Sum256([]byte(sid))
	hue := func(i int, lo uint8) color.RGBA {
		return color.RGBA{R: lo + sum[i]%(255-lo), G: lo + sum[i+1]%(255-lo), B: lo + sum[i+2]%(255-lo), A: 255}
	}
	sky, sun, hill, far := hue(0, 120), color.RGBA{R: 255, G: 214, B: 64, A: 255}, hue(3, 20), hue(6, 60)
	img := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{sky, sun, hill, far})
	sunX, sunY := 230+int(sum[9]%40), 50+int(sum[10]%30)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var i uint8 // sky
			switch {
			case y > 120+abs(x-90)/2:
				i = 2 // the near hill
			case y > 100+abs(x-220)/3:
				i = 3 // the far hill
			case (x-sunX)*(x-sunX)+(y-sunY)*(y-sunY) < 22*22:
				i = 1
			}
			img.SetColorIndex(x, y, i)
		}
	}
	var buf bytes.Buffer
	var err error
	switch ct {
	case "image/gif":
		err = gif.Encode(&buf, img, nil)
	case "image/jpeg":
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	default:
		ct, err = "image/png", png.Encode(&buf, img)
	}
	return ct, buf.Bytes(), err
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
