package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"menwei/api"
	"menwei/controller"
	"menwei/controller/door"
)

type doorsFake struct{ mode door.Mode }

func (d *doorsFake) Doors() []controller.DoorStatus {
	return []controller.DoorStatus{{Name: "main-gate", Mode: d.mode.String(), Locked: true}}
}
func (d *doorsFake) SetDoorModes(_ context.Context, _ []string, m door.Mode, _ string) error {
	d.mode = m
	return nil
}

type enrollerFake struct{ s *controller.Store }

func (enrollerFake) FaceOf(context.Context, []byte) ([128]float32, error) {
	return [128]float32{1}, nil
}
func (enrollerFake) EnrollDescriptor(string, string, [128]float32) error { return nil }
func (enrollerFake) EnrollFinger(context.Context, string, string) (int, error) {
	return 0, nil
}
func (e enrollerFake) RemoveIdentity(_ context.Context, id string) error {
	return e.s.DeleteIdentity(id)
}

// menweictl -api against a real API server and store.
func TestRemoteCommands(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	s, err := controller.OpenStore(controller.StoreOptions{InMemory: true})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutAccount("ada", controller.RoleAdmin, "a long password"))
	doors := &doorsFake{}
	srv := httptest.NewServer(api.New(api.Options{Events: s, Auth: s, Audit: s, Doors: doors, People: s, Enroller: enrollerFake{s}}).Handler())
	defer srv.Close()
	remote := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(append([]string{"-api", srv.URL}, args...), &out)
		return out.String(), err
	}

	_, err = remote("doors")
	assert.ErrorContains(t, err, "sign in first")
	stdin = strings.NewReader("a long password\n")
	out, err := remote("login", "-name", "ada")
	require.NoError(t, err)
	assert.Contains(t, out, "signed in as ada (admin)")

	out, err = remote("doors")
	require.NoError(t, err)
	assert.Contains(t, out, "main-gate")
	_, err = remote("doors", "mode", "-door", "main-gate", "-mode", "lockdown", "-reason", "drill")
	require.NoError(t, err)
	assert.Equal(t, door.Lockdown, doors.mode)
	out, err = remote("doors", "-json")
	require.NoError(t, err)
	assert.Contains(t, out, `"Mode":"lockdown"`)

	_, err = remote("residents", "add", "-id", "li", "-name", "Li Wei", "-unit", "3-201")
	require.NoError(t, err)
	out, err = remote("residents")
	require.NoError(t, err)
	assert.Contains(t, out, "li\tLi Wei\t3-201")
	out, err = remote("events", "-limit", "100")
	require.NoError(t, err)
	assert.Contains(t, out, "auth.login")
	assert.Contains(t, out, "identity.saved")

	_, err = remote("residents", "add", "-id", "bad id", "-name", "x")
	assert.ErrorContains(t, err, "bad_request")
	_, err = remote("launch")
	assert.ErrorContains(t, err, "unknown remote command")
}
