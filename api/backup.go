package api

import (
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"menwei/controller"
	"menwei/controller/store"
)

// Backuper streams a backup of the running gate's store (store.Store).
type Backuper interface {
	Backup(w io.Writer, since uint64) (store.BackupHeader, error)
}

// backup streams a backup of the store while the gate runs (admin): the
// whole store, or with ?since=VERSION what changed after an earlier
// backup's "until" (in the file's header; menweictl backup prints it). An
// audit event records who took it. A backup that fails midway ends the
// response early: menweictl then reports it incomplete, and a truncated
// file does not restore.
func (s *Server) backup(c echo.Context) error {
	var since uint64
	if v := c.QueryParam("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return fail(http.StatusBadRequest, "bad_request", fmt.Sprintf("since: %q is not a version (a whole number from a backup's header)", v))
		}
		since = n
	}
	w := c.Response()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="menwei-backup-%s.mwb"`, s.now().Format("20060102-150405")))
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	h, err := s.o.Backup.Backup(w, since)
	if err != nil {
		s.o.Log.Error("backup failed", "err", err)
		panic(http.ErrAbortHandler) // the client sees a cut connection, not a whole file
	}
	kind := "full"
	if since > 0 {
		kind = fmt.Sprintf("since %d", since)
	}
	s.audit(c, controller.Event{Kind: controller.KindBackup, Detail: fmt.Sprintf("%s backup up to version %d", kind, h.Until)})
	return nil
}
