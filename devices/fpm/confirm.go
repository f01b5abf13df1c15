package fpm

import (
	"errors"
	"fmt"
)

// Code is the confirmation code, the first byte of an acknowledgement.
type Code byte

// Confirmation codes (R307 user manual, ZFM-20 user manual, "Confirmation
// code definition"; 0x21 from the R503 user manual).
const (
	CodeOK               Code = 0x00 // command executed
	CodePacket           Code = 0x01 // error receiving the packet
	CodeNoFinger         Code = 0x02 // no finger on the sensor
	CodeEnrollFailed     Code = 0x03 // failed to take the image
	CodeDisorderly       Code = 0x06 // image too disorderly for a char file
	CodeTooFewPoints     Code = 0x07 // too few feature points or image too small
	CodeNoMatch          Code = 0x08 // the two char files do not match
	CodeNotFound         Code = 0x09 // no matching template in the library
	CodeMergeFailed      Code = 0x0A // char files could not be combined
	CodeBadPage          Code = 0x0B // page beyond the library
	CodeReadTemplate     Code = 0x0C // template unreadable or invalid
	CodeUpload           Code = 0x0D // error uploading a template
	CodeDownload         Code = 0x0E // cannot receive the following data packets
	CodeUploadImage      Code = 0x0F // error uploading an image
	CodeDelete           Code = 0x10 // failed to delete templates
	CodeClear            Code = 0x11 // failed to clear the library
	CodeBadPassword      Code = 0x13 // wrong password
	CodeNoImage          Code = 0x15 // no valid primary image
	CodeFlash            Code = 0x18 // error writing flash
	CodeUndefined        Code = 0x19 // undefined error
	CodeBadRegister      Code = 0x1A // invalid register number
	CodePasswordRequired Code = 0x21 // verify the password first
)

// Sentinels a *ConfirmError unwraps to. Several codes share one where a
// caller would act the same on them.
var (
	ErrPacket           = errors.New("fpm: module could not receive the packet")
	ErrNoFinger         = errors.New("fpm: no finger")
	ErrCapture          = errors.New("fpm: image capture failed")
	ErrBadImage         = errors.New("fpm: bad image")
	ErrNoMatch          = errors.New("fpm: no match")
	ErrNotFound         = errors.New("fpm: not found")
	ErrMergeFailed      = errors.New("fpm: char files do not merge")
	ErrBadPage          = errors.New("fpm: page out of range")
	ErrBadTemplate      = errors.New("fpm: template unreadable")
	ErrUpload           = errors.New("fpm: upload failed")
	ErrDownload         = errors.New("fpm: download failed")
	ErrDelete           = errors.New("fpm: delete failed")
	ErrFlash            = errors.New("fpm: flash write failed")
	ErrBadPassword      = errors.New("fpm: wrong password")
	ErrPasswordRequired = errors.New("fpm: password not verified")
)

var codeInfo = map[Code]struct {
	text string
	err  error
}{
	CodePacket:           {"error receiving packet", ErrPacket},
	CodeNoFinger:         {"no finger", ErrNoFinger},
	CodeEnrollFailed:     {"image capture failed", ErrCapture},
	CodeDisorderly:       {"image too disorderly", ErrBadImage},
	CodeTooFewPoints:     {"too few feature points", ErrBadImage},
	CodeNoMatch:          {"no match", ErrNoMatch},
	CodeNotFound:         {"no matching template", ErrNotFound},
	CodeMergeFailed:      {"char files do not merge", ErrMergeFailed},
	CodeBadPage:          {"page beyond the library", ErrBadPage},
	CodeReadTemplate:     {"template unreadable", ErrBadTemplate},
	CodeUpload:           {"template upload failed", ErrUpload},
	CodeDownload:         {"cannot receive data packets", ErrDownload},
	CodeUploadImage:      {"image upload failed", ErrUpload},
	CodeDelete:           {"delete failed", ErrDelete},
	CodeClear:            {"clearing the library failed", ErrDelete},
	CodeBadPassword:      {"wrong password", ErrBadPassword},
	CodeNoImage:          {"no valid image", ErrBadImage},
	CodeFlash:            {"flash write failed", ErrFlash},
	CodeUndefined:        {"undefined error", nil},
	CodeBadRegister:      {"invalid register", nil},
	CodePasswordRequired: {"password not verified", ErrPasswordRequired},
}

// String names the code.
func (c Code) String() string {
	if c == CodeOK {
		return "ok"
	}
	if i, ok := codeInfo[c]; ok {
		return i.text
	}
	return fmt.Sprintf("code %#02x", byte(c))
}

// ConfirmError is an acknowledgement with a non-zero confirmation code. It
// unwraps to the sentinel for its code (ErrNoFinger, ErrNotFound, ...), or to
// nil for a code without one.
type ConfirmError struct {
	Cmd  Instruction // the instruction acknowledged
	Code Code
}

func (e *ConfirmError) Error() string {
	return fmt.Sprintf("fpm: %v: %v (%#02x)", e.Cmd, e.Code, byte(e.Code))
}

func (e *ConfirmError) Unwrap() error { return codeInfo[e.Code].err }
