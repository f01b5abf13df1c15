package fpm

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestConfirmErrorUnwraps(t *testing.T) {
	tests := []struct {
		code Code
		want error
	}{
		{CodePacket, ErrPacket},
		{CodeNoFinger, ErrNoFinger},
		{CodeEnrollFailed, ErrCapture},
		{CodeDisorderly, ErrBadImage},
		{CodeTooFewPoints, ErrBadImage},
		{CodeNoImage, ErrBadImage},
		{CodeNoMatch, ErrNoMatch},
		{CodeNotFound, ErrNotFound},
		{CodeMergeFailed, ErrMergeFailed},
		{CodeBadPage, ErrBadPage},
		{CodeReadTemplate, ErrBadTemplate},
		{CodeUpload, ErrUpload},
		{CodeUploadImage, ErrUpload},
		{CodeDownload, ErrDownload},
		{CodeDelete, ErrDelete},
		{CodeClear, ErrDelete},
		{CodeFlash, ErrFlash},
		{CodeBadPassword, ErrBadPassword},
		{CodePasswordRequired, ErrPasswordRequired},
	}
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			var err error = &ConfirmError{Cmd: InsSearch, Code: tt.code}
			assert.ErrorIs(t, err, tt.want)
			var ce *ConfirmError
			assert.True(t, errors.As(err, &ce))
			assert.Equal(t, tt.code, ce.Code)
		})
	}
}

func TestConfirmErrorMessage(t *testing.T) {
	err := &ConfirmError{Cmd: InsSearch, Code: CodeNotFound}
	assert.Equal(t, "fpm: Search: no matching template (0x09)", err.Error())
	odd := &ConfirmError{Cmd: Instruction(0x40), Code: 0x77}
	assert.Equal(t, "fpm: instruction 0x40: code 0x77 (0x77)", odd.Error())
	assert.Nil(t, odd.Unwrap())
}
