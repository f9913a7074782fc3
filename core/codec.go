package core

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/wxlogin/wxlogin/core/weixin"
)

// SessionCodec is an scs.Codec for sessions that hold a wxlogin login. Set
// it on the session manager:
//
//	sessions.Codec = core.SessionCodec{}
//
// scs' default codec, encoding/gob, decodes the whole session on every
// request: about 14 µs and 200 allocations. SessionCodec writes the values
// wxlogin stores, and strings, booleans, numbers, times and byte slices,
// in a compact binary form that decodes in a fraction of that; the
// logged-in user is decoded with one allocation for all its text, and the
// token and pending logins only when asked for. Any other value an app
// puts in the session is encoded with encoding/gob, as before (register
// its type with gob.Register, as scs requires). Sessions written by the
// gob codec are still read, so switching codecs logs nobody out.
type SessionCodec struct{}

var _ scs.Codec = SessionCodec{}

// codecMagic starts every session SessionCodec writes.
const codecMagic = "wxs\x01"

// Value tags.
const (
	tagString  = 's'
	tagTrue    = 'T'
	tagFalse   = 'F'
	tagInt     = 'i'
	tagInt64   = 'I'
	tagInt32   = 'j'
	tagFloat   = 'f'
	tagTime    = 't'
	tagBytes   = 'b'
	tagUser    = 'U'
	tagToken   = 'K'
	tagPending = 'P'
	tagDone    = 'D'
	tagGob     = 'g'
)

// lazy is an encoded value decoded only when read (see Auth's session
// accessors): the token and the login lists are not needed by most
// requests.
type lazy struct {
	tag byte
	raw string
}

// Encode implements scs.Codec.
func (SessionCodec) Encode(deadline time.Time, values map[string]any) ([]byte, error) {
	w := &writer{b: make([]byte, 0, 256)}
	w.b = append(w.b, codecMagic...)
	w.int(deadline.UnixNano())
	w.uint(uint64(len(values)))
	for k, v := range values {
		w.str(k)
		if err := w.value(v); err != nil {
			return nil, fmt.Errorf("wxlogin: encoding session value %q: %w", k, err)
		}
	}
	return w.b, nil
}

// Decode implements scs.Codec.
func (SessionCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	if !bytes.HasPrefix(b, []byte(codecMagic)) {
		if bytes.HasPrefix(b, []byte(codecMagic[:3])) {
			// A later version of SessionCodec's format.
			return time.Time{}, nil, fmt.Errorf("%w: format version %d", ErrSessionUnreadable, b[3])
		}
		deadline, values, err := scs.GobCodec{}.Decode(b)
		if err != nil {
			if unknownGobType(err) {
				return time.Time{}, nil, fmt.Errorf("%w: gob: %w", ErrSessionUnreadable, err)
			}
			return time.Time{}, nil, fmt.Errorf("%w: gob: %w", errCorruptSession, err)
		}
		return deadline, values, nil
	}
	// One string holds all the text of the session; values slice it.
	r := &reader{s: string(b[len(codecMagic):])}
	deadline := time.Unix(0, r.int()).UTC()
	n := r.uint()
	if r.err != nil || n > uint64(len(r.s)) {
		return time.Time{}, nil, errCorruptSession
	}
	values := make(map[string]any, n)
	var arena *decoded
	for range n {
		k := r.str()
		v, err := r.value(&arena)
		if err != nil {
			return time.Time{}, nil, err
		}
		if r.err != nil {
			return time.Time{}, nil, errCorruptSession
		}
		values[k] = v
	}
	if r.err != nil || len(r.s) != 0 {
		return time.Time{}, nil, errCorruptSession
	}
	return deadline, values, nil
}

// ErrSessionUnreadable is returned by SessionCodec.Decode for session
// data it cannot decode: corrupt (ErrSessionCorrupt), or holding what
// this program does not know — a gob type, or a later version of the
// format — written by another version of the app during a rolling
// deploy. The adapters' Sessions middleware treats such a session as no
// session for the request at hand (see adapter.Kit.LoadSession), instead of
// every request failing until the stored session expires.
var ErrSessionUnreadable = errors.New("wxlogin: session data cannot be decoded")

// ErrSessionCorrupt is wrapped by ErrSessionUnreadable errors of session
// data that no version of the app can read: cut short, or garbage.
var ErrSessionCorrupt = errors.New("corrupt")

var errCorruptSession = fmt.Errorf("%w: %w", ErrSessionUnreadable, ErrSessionCorrupt)

// unknownGobType reports whether err, of encoding/gob, is about a type
// this program does not know (another version of the app wrote it),
// rather than about a broken stream.
func unknownGobType(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "not registered") || strings.Contains(msg, "type mismatch") ||
		strings.Contains(msg, "no fields") || strings.Contains(msg, "unexported")
}

type writer struct{ b []byte }

func (w *writer) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *writer) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *writer) str(s string)  { w.uint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *writer) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}
func (w *writer) time(t time.Time) {
	if t.IsZero() {
		w.int(math.MinInt64)
		return
	}
	w.int(t.UnixNano())
}

// nested writes what f writes as one length-prefixed string.
func (w *writer) nested(tag byte, f func(*writer)) {
	inner := &writer{}
	f(inner)
	w.b = append(w.b, tag)
	w.str(string(inner.b))
}

func (w *writer) value(v any) error {
	switch v := v.(type) {
	case string:
		w.b = append(w.b, tagString)
		w.str(v)
	case bool:
		if v {
			w.b = append(w.b, tagTrue)
		} else {
			w.b = append(w.b, tagFalse)
		}
	case int:
		w.b = append(w.b, tagInt)
		w.int(int64(v))
	case int64:
		w.b = append(w.b, tagInt64)
		w.int(v)
	case int32:
		w.b = append(w.b, tagInt32)
		w.int(int64(v))
	case float64:
		w.b = append(w.b, tagFloat)
		w.uint(math.Float64bits(v))
	case time.Time:
		b, err := v.MarshalBinary()
		if err != nil {
			return err
		}
		w.b = append(w.b, tagTime)
		w.str(string(b))
	case []byte:
		w.b = append(w.b, tagBytes)
		w.str(string(v))
	case *User:
		w.nested(tagUser, func(w *writer) {
			for _, s := range []string{v.AppID, v.OpenID, v.UnionID, v.AccountID, v.Nickname, v.Province, v.City, v.Country, v.HeadImgURL} {
				w.str(s)
			}
			w.int(int64(v.Sex))
			w.time(v.LoggedInAt)
			if v.Phone != "" || v.CountryCode != "" {
				// Optional tail: sessions written before it read as before.
				w.str(v.Phone)
				w.str(v.CountryCode)
			}
		})
	case *weixin.Token:
		w.nested(tagToken, func(w *writer) { writeToken(w, v) })
	case []pendingLogin:
		w.nested(tagPending, func(w *writer) {
			w.uint(uint64(len(v)))
			for _, p := range v {
				w.str(p.State)
				w.str(p.AppID)
				w.str(p.ReturnTo)
				w.time(p.Expires)
			}
		})
	case []doneLogin:
		w.nested(tagDone, func(w *writer) {
			w.uint(uint64(len(v)))
			for _, d := range v {
				w.str(d.State)
				w.str(d.ReturnTo)
			}
		})
	case *lazy:
		w.b = append(w.b, v.tag)
		w.str(v.raw)
	default:
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(&v); err != nil {
			return err
		}
		w.b = append(w.b, tagGob)
		w.str(buf.String())
	}
	return nil
}

func writeToken(w *writer, t *weixin.Token) {
	for _, s := range []string{t.AccessToken, t.RefreshToken, t.AppID, t.OpenID, t.UnionID} {
		w.str(s)
	}
	w.time(t.Expiry)
	w.time(t.RefreshExpiry)
	w.bool(t.IsSnapshotUser)
	w.uint(uint64(len(t.Scopes)))
	for _, s := range t.Scopes {
		w.str(s)
	}
}

type reader struct {
	s   string
	err error
}

func (r *reader) fail() { r.err = errCorruptSession; r.s = "" }

func (r *reader) uint() uint64 {
	v, n := binary.Uvarint([]byte(r.s[:min(len(r.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.fail()
		return 0
	}
	r.s = r.s[n:]
	return v
}

// int reads what binary.AppendVarint wrote: a zig-zag encoded uvarint.
func (r *reader) int() int64 {
	u := r.uint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *reader) str() string {
	n := r.uint()
	if n > uint64(len(r.s)) {
		r.fail()
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *reader) byte() byte {
	if len(r.s) == 0 {
		r.fail()
		return 0
	}
	b := r.s[0]
	r.s = r.s[1:]
	return b
}

func (r *reader) bool() bool { return r.byte() == 1 }

func (r *reader) time() time.Time {
	n := r.int()
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// decoded holds, in one allocation, the values of one session that
// wxlogin reads: the user and the still-encoded token and login lists.
// The session's map points into it. Each value has its own place: a
// second user in the session (an app's "invited by") gets one of its
// own.
type decoded struct {
	user     User
	userUsed bool
	lazies   [3]lazy
	n        int
}

// userSlot returns a place for one more user.
func (d *decoded) userSlot() *User {
	if d.userUsed {
		return new(User)
	}
	d.userUsed = true
	return &d.user
}

// lazySlot returns a place for one more lazy value.
func (d *decoded) lazySlot() *lazy {
	if d.n == len(d.lazies) {
		return new(lazy)
	}
	d.n++
	return &d.lazies[d.n-1]
}

func (r *reader) value(arena **decoded) (any, error) {
	slots := func() *decoded {
		if *arena == nil {
			*arena = new(decoded)
		}
		return *arena
	}
	switch tag := r.byte(); tag {
	case tagString:
		return r.str(), nil
	case tagTrue:
		return true, nil
	case tagFalse:
		return false, nil
	case tagInt:
		return int(r.int()), nil
	case tagInt64:
		return r.int(), nil
	case tagInt32:
		return int32(r.int()), nil
	case tagFloat:
		return math.Float64frombits(r.uint()), nil
	case tagTime:
		var t time.Time
		if err := t.UnmarshalBinary([]byte(r.str())); err != nil {
			return nil, errCorruptSession
		}
		return t, nil
	case tagBytes:
		return []byte(r.str()), nil
	case tagUser:
		u := slots().userSlot()
		if err := decodeUser(r.str(), u); err != nil {
			return nil, err
		}
		return u, nil
	case tagToken, tagPending, tagDone:
		l := slots().lazySlot()
		*l = lazy{tag: tag, raw: r.str()}
		return l, nil
	case tagGob:
		var v any
		if err := gob.NewDecoder(bytes.NewReader([]byte(r.str()))).Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: a gob value: %w", ErrSessionUnreadable, err)
		}
		return v, nil
	default:
		return nil, errCorruptSession
	}
}

func decodeUser(raw string, u *User) error {
	r := &reader{s: raw}
	*u = User{
		AppID: r.str(), OpenID: r.str(), UnionID: r.str(), AccountID: r.str(), Nickname: r.str(),
		Province: r.str(), City: r.str(), Country: r.str(), HeadImgURL: r.str(),
	}
	u.Sex = int(r.int())
	u.LoggedInAt = r.time()
	if r.s != "" {
		u.Phone, u.CountryCode = r.str(), r.str()
	}
	return r.err
}

// decodeLazy decodes a value SessionCodec left encoded; any other value
// is returned as it is.
func decodeLazy(v any) any {
	l, ok := v.(*lazy)
	if !ok {
		return v
	}
	r := &reader{s: l.raw}
	var out any
	switch l.tag {
	case tagToken:
		t := &weixin.Token{AccessToken: r.str(), RefreshToken: r.str(), AppID: r.str(), OpenID: r.str(), UnionID: r.str()}
		t.Expiry = r.time()
		t.RefreshExpiry = r.time()
		t.IsSnapshotUser = r.bool()
		n := r.uint()
		for i := uint64(0); i < n && r.err == nil; i++ {
			t.Scopes = append(t.Scopes, r.str())
		}
		out = t
	case tagPending:
		n := r.uint()
		var p []pendingLogin
		for i := uint64(0); i < n && r.err == nil; i++ {
			p = append(p, pendingLogin{State: r.str(), AppID: r.str(), ReturnTo: r.str(), Expires: r.time()})
		}
		out = p
	case tagDone:
		n := r.uint()
		var d []doneLogin
		for i := uint64(0); i < n && r.err == nil; i++ {
			d = append(d, doneLogin{State: r.str(), ReturnTo: r.str()})
		}
		out = d
	}
	if r.err != nil {
		return nil
	}
	return out
}
