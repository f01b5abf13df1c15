package api

import (
	"cmp"
	"embed"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// The guard console and the resident phone page: plain HTML, CSS and JS,
// embedded in the binary. They call the same API as everything else.
//
//go:embed web
var web embed.FS

// pages serves the embedded files at / with headers that keep them from
// being framed or loading anything foreign.
func (s *Server) pages() {
	sub, _ := fs.Sub(web, "web") // the directory is embedded: cannot fail
	files := http.FileServer(http.FS(sub))
	serve := echo.WrapHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		files.ServeHTTP(w, r)
	}))
	s.echo.GET("/*", func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			return fail(http.StatusNotFound, "not_found", "no such API route")
		}
		return serve(c)
	})
}

// phoneDoors lists the doors a phone may ask to open (the door policy
// decides when it asks).
func (s *Server) phoneDoors(c echo.Context) error {
	names, display := []string{}, map[string]string{}
	if s.o.Doors != nil {
		for _, d := range s.o.Doors.Doors() {
			names = append(names, d.Name)
			display[d.Name] = cmp.Or(d.DisplayName, d.Name)
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"doors": names, "display_names": display, "timezone": s.o.Timezone})
}
