package fpmodule_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"menwei/devices/fpm"
	"menwei/firmware-mocks/fpmodule"
)

func TestVfyPwdFactory(t *testing.T) {
	h := newHost(t, newModule(t, fpmodule.Config{}))
	assert.Equal(t, fpm.CodeOK, h.code(fpm.TemplateNum{}), "no password: nothing to verify")
	assert.Equal(t, fpm.CodeOK, h.code(fpm.VfyPwd{}))
	assert.Equal(t, fpm.CodeBadPassword, h.code(fpm.VfyPwd{Password: 1}))
}

func TestVfyPwdLocks(t *testing.T) {
	m := newModule(t, fpmodule.Config{Password: 0xC0FFEE})
	h := newHost(t, m)
	assert.Equal(t, fpm.CodePasswordRequired, h.code(fpm.TemplateNum{}))
	assert.Equal(t, fpm.CodeBadPassword, h.code(fpm.VfyPwd{Password: 0}))
	assert.Equal(t, fpm.CodePasswordRequired, h.code(fpm.ReadSysPara{}))

	assert.Equal(t, fpm.CodeOK, h.code(fpm.VfyPwd{Password: 0xC0FFEE}))
	assert.Equal(t, fpm.CodeOK, h.code(fpm.TemplateNum{}))

	assert.Equal(t, fpm.CodeBadPassword, h.code(fpm.VfyPwd{Password: 1}))
	assert.Equal(t, fpm.CodePasswordRequired, h.code(fpm.TemplateNum{}), "locked again")
}
