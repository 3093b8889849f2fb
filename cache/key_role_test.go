package cache

import (
	"hash/maphash"
	"reflect"
	"testing"
)

// Every field of key tells keys apart in flightKey (two reads share a call
// only when every field agrees) and, for the role, in the store's hash.
func TestKeyFieldsSeparateFlights(t *testing.T) {
	base := key{kind: kindSecret, name: "db"}
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		k := base
		f := reflect.ValueOf(&k).Elem().Field(i)
		f = reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem()
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Int64:
			f.SetInt(f.Int() + 1)
		case reflect.Uint8:
			f.SetUint(f.Uint() + 1)
		default:
			t.Fatalf("key field %s of kind %s: teach this test", v.Type().Field(i).Name, f.Kind())
		}
		if k.flightKey() == base.flightKey() {
			t.Errorf("keys differing in %s share a flight key", v.Type().Field(i).Name)
		}
	}
	seed := maphash.MakeSeed()
	a, b := key{kind: kindSecret, name: "db"}, key{kind: kindSecret, name: "db", role: "arn:aws:iam::222222222222:role/r"}
	if hash(seed, &a) == hash(seed, &b) {
		t.Error("a role does not change the store's hash")
	}
}
