package api

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"
)

// textError says what is wrong with a text field a person or a client sent:
// nil if s is valid UTF-8 without control characters. encoding/json turns
// invalid UTF-8 into U+FFFD, so that stands for it here: no name, flat or
// card number ever needs one.
func textError(field, s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return fail(http.StatusBadRequest, "bad_request", field+": not valid UTF-8 text")
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' }); i >= 0 {
		return fail(http.StatusBadRequest, "bad_request", fmt.Sprintf("%s: control character %U not allowed", field, []rune(s[i:])[0]))
	}
	return nil
}

// checkText applies textError to every string in a decoded request body (a
// struct with json tags, its slices and nested structs), naming the field
// by its JSON path.
func checkText(v any) error {
	return walkText(reflect.ValueOf(v), "")
}

func walkText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkText(v.Elem(), path)
	case reflect.String:
		return textError(path, v.String())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := walkText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			name := join(path, fmt.Sprint(k.Interface()))
			if k.Kind() == reflect.String {
				if err := textError(name+" (key)", k.String()); err != nil {
					return err
				}
			}
			if err := walkText(v.MapIndex(k), name); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if err := walkText(v.Field(i), join(path, name)); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
