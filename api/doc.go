// Package api is menwei's HTTP API (Echo) under /api/v1. Handlers are thin
// methods on Server; the access engine is reached through small interfaces.
//
// Errors always have one shape: {"error":{"code":"...","message":"..."}}.
package api
