package core

import (
	"encoding/gob"
	"encoding/hex"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core/weixin"
)

type appValue struct{ Cart []string }

func sampleValues() map[string]any {
	now := time.Date(2026, 11, 25, 8, 0, 0, 123, time.UTC)
	return map[string]any{
		keyUser: &User{AppID: "wx1", OpenID: "o1", UnionID: "u1", AccountID: "a1", Nickname: "Lily 🌸 李",
			Sex: 2, Province: "广东", City: "深圳", Country: "中国", HeadImgURL: "https://x/0", LoggedInAt: now},
		keyToken: &weixin.Token{AccessToken: "AT", RefreshToken: "RT", Expiry: now, RefreshExpiry: now.Add(time.Hour),
			AppID: "wx1", OpenID: "o1", UnionID: "u1", Scopes: []string{weixin.ScopeLogin}, IsSnapshotUser: true},
		keyPending: []pendingLogin{{State: "S1", AppID: "wx1", ReturnTo: "/a", Expires: now}, {State: "S2", ReturnTo: "/b"}},
		keyDone:    []doneLogin{{State: "S0", ReturnTo: "/c"}},
		"str":      "text",
		"yes":      true,
		"no":       false,
		"int":      -42,
		"int64":    int64(1) << 40,
		"int32":    int32(-7),
		"float":    3.25,
		"time":     now,
		"bytes":    []byte{0, 1, 2},
		"app":      appValue{Cart: []string{"apple"}},
	}
}

func TestSessionCodecRoundTrip(t *testing.T) {
	gobRegisterOnce()
	deadline := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	in := sampleValues()
	b, err := SessionCodec{}.Encode(deadline, in)
	if err != nil {
		t.Fatal(err)
	}
	gotDeadline, out, err := SessionCodec{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if !gotDeadline.Equal(deadline) {
		t.Errorf("deadline %v, want %v", gotDeadline, deadline)
	}
	for k, want := range in {
		got := decodeLazy(out[k])
		if !reflect.DeepEqual(normalise(got), normalise(want)) {
			t.Errorf("%s: got %#v, want %#v", k, got, want)
		}
	}
	// Re-encoding what was decoded (lazy values included) is stable.
	b2, err := SessionCodec{}.Encode(deadline, out)
	if err != nil {
		t.Fatal(err)
	}
	if _, out2, err := (SessionCodec{}).Decode(b2); err != nil || len(out2) != len(in) {
		t.Fatalf("second round: %v, %d values", err, len(out2))
	}
}

// Sessions written by scs' default codec are read, so switching to
// SessionCodec logs nobody out.
func TestSessionCodecReadsGob(t *testing.T) {
	gobRegisterOnce()
	in := sampleValues()
	delete(in, "time") // gob needs time.Time registered for that; scs' users do so
	b, err := scs.GobCodec{}.Encode(time.Now(), in)
	if err != nil {
		t.Fatal(err)
	}
	_, out, err := SessionCodec{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := out[keyUser].(*User); u == nil || u.Nickname != "Lily 🌸 李" {
		t.Errorf("user from a gob session: %#v", out[keyUser])
	}
	if tok, _ := decodeLazy(out[keyToken]).(*weixin.Token); tok == nil || tok.RefreshToken != "RT" {
		t.Errorf("token from a gob session: %#v", out[keyToken])
	}
}

func TestSessionCodecRejectsCorruptData(t *testing.T) {
	b, err := SessionCodec{}.Encode(time.Now(), sampleValues())
	if err != nil {
		t.Fatal(err)
	}
	for i := len(codecMagic); i < len(b); i += 7 {
		if _, _, err := (SessionCodec{}).Decode(b[:i]); err == nil {
			t.Fatalf("a session cut at %d of %d bytes decoded", i, len(b))
		}
	}
	if _, _, err := (SessionCodec{}).Decode(append(b, 0)); err == nil {
		t.Error("trailing garbage accepted")
	}
}

func FuzzSessionCodecDecode(f *testing.F) {
	gobRegisterOnce()
	b, _ := SessionCodec{}.Encode(time.Now(), sampleValues())
	f.Add(b)
	f.Add([]byte(codecMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, values, err := SessionCodec{}.Decode(b)
		if err != nil {
			return
		}
		for _, v := range values {
			decodeLazy(v)
		}
		if _, err := (SessionCodec{}).Encode(time.Now(), values); err != nil {
			t.Fatalf("decoded values do not encode: %v", err)
		}
	})
}

func normalise(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UTC().Format(time.RFC3339Nano)
	}
	return v
}

var registerApp sync.Once

func gobRegisterOnce() { registerApp.Do(func() { gob.Register(appValue{}) }) }

// An app may keep a second user in the session (an "invited by"): each
// decodes into its own object, and the logged-in user stays itself.
func TestSessionCodecTwoUsers(t *testing.T) {
	for range 100 {
		in := map[string]any{
			keyUser:     &User{AppID: "wx1", OpenID: "me", Nickname: "me"},
			"invitedBy": &User{AppID: "wx1", OpenID: "inviter", Nickname: "inviter"},
		}
		b, err := SessionCodec{}.Encode(time.Now(), in)
		if err != nil {
			t.Fatal(err)
		}
		_, out, err := SessionCodec{}.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		me, inviter := out[keyUser].(*User), out["invitedBy"].(*User)
		if me == inviter || me.OpenID != "me" || inviter.OpenID != "inviter" {
			t.Fatalf("decoded %+v and %+v", me, inviter)
		}
	}
}

// Every field of every type SessionCodec writes survives a round trip:
// the values are filled by reflection, so a field added to User, Token,
// pendingLogin or doneLogin later and not encoded fails this test.
func TestSessionCodecEncodesEveryField(t *testing.T) {
	values := map[string]any{
		keyUser:    fill(reflect.TypeFor[User]()).Addr().Interface(),
		keyToken:   fill(reflect.TypeFor[weixin.Token]()).Addr().Interface(),
		keyPending: fillSlice(reflect.TypeFor[[]pendingLogin]()).Interface(),
		keyDone:    fillSlice(reflect.TypeFor[[]doneLogin]()).Interface(),
	}
	b, err := SessionCodec{}.Encode(time.Now(), values)
	if err != nil {
		t.Fatal(err)
	}
	_, out, err := SessionCodec{}.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range values {
		got := decodeLazy(out[k])
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %#v\nwant %#v", k, got, want)
		}
	}
}

var fillCounter int

// fill returns a value of type t whose every field is set and distinct.
func fill(t reflect.Type) reflect.Value {
	v := reflect.New(t).Elem()
	fillCounter++
	n := fillCounter
	switch t.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("s%d", n))
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Slice:
		return fillSlice(t)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(1_700_000_000+int64(n), int64(n)).UTC()))
			break
		}
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				panic("fill: unexported field " + t.String() + "." + t.Field(i).Name)
			}
			v.Field(i).Set(fill(t.Field(i).Type))
		}
	default:
		panic("fill: add a case for " + t.String())
	}
	return v
}

// fillSlice returns a slice of type t with two filled elements.
func fillSlice(t reflect.Type) reflect.Value {
	s := reflect.MakeSlice(t, 0, 2)
	return reflect.Append(s, fill(t.Elem()), fill(t.Elem()))
}

// A session written before User had Phone and CountryCode (this one by
// v0.1.0's SessionCodec) reads as it did, and a user without a phone is
// still written the same way, so that older instances of a rolling deploy
// read it too.
func TestSessionCodecUserWithoutPhoneAsBefore(t *testing.T) {
	const old = "777873018080d0e2c6bfce972f010c77786c6f67696e2e75736572551d03777831026f310275310003e69d8e00000000028a80d0e2c6bfce972f"
	raw, _ := hex.DecodeString(old)
	_, values, err := SessionCodec{}.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := &User{AppID: "wx1", OpenID: "o1", UnionID: "u1", Nickname: "李", Sex: 1, LoggedInAt: time.Unix(1700000000, 5).UTC()}
	if got, _ := values[keyUser].(*User); !reflect.DeepEqual(got, want) {
		t.Fatalf("old session: %#v", values[keyUser])
	}
	b, err := SessionCodec{}.Encode(time.Unix(1700000000, 0), map[string]any{keyUser: want})
	if err != nil || hex.EncodeToString(b) != old {
		t.Errorf("a user without a phone is written differently now: %x %v", b, err)
	}
	want.Phone, want.CountryCode = "13800138000", "86"
	b, _ = SessionCodec{}.Encode(time.Unix(1700000000, 0), map[string]any{keyUser: want})
	if _, values, err = (SessionCodec{}).Decode(b); err != nil || !reflect.DeepEqual(values[keyUser], want) {
		t.Errorf("with a phone: %#v %v", values[keyUser], err)
	}
}
