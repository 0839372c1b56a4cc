package config

import (
	"reflect"
	"sort"
	"strings"
)

// Variables lists every environment variable the worker reads, sorted.
func Variables() []string {
	var names []string
	walkVars(reflect.TypeFor[Config](), func(_, key string) { names = append(names, key) })
	sort.Strings(names)
	return names
}

// fieldVars maps each field name to its variable, for error messages.
func fieldVars() map[string]string {
	names := map[string]string{}
	walkVars(reflect.TypeFor[Config](), func(field, key string) { names[field] = key })
	return names
}

// walkVars calls fn for each field with an env tag, walking nested structs.
func walkVars(t reflect.Type, fn func(field, key string)) {
	for i := range t.NumField() {
		f := t.Field(i)
		key, _, _ := strings.Cut(f.Tag.Get("env"), ",")
		if f.Type.Kind() == reflect.Struct && key == "" {
			walkVars(f.Type, fn)
			continue
		}
		if key != "" {
			fn(f.Name, key)
		}
	}
}
