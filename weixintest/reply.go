package weixintest

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"
)

// obj is a JSON object whose fields keep the order WeChat sends them in.
type obj []field

type field struct {
	k string
	v any
}

// MarshalJSON writes the fields in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(f.k)
		if err != nil {
			return nil, err
		}
		v, err := marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal is json.Marshal without Go's HTML escaping (WeChat sends '<',
// '>' and '&' as they are).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// wechatJSON encodes v as WeChat's API does (as recorded in
// core/testdata/weixin-samples.json): no HTML escaping, '/' escaped as
// '\/', characters beyond the BMP (emoji) as \u surrogate pairs, other
// non-ASCII (CJK) as UTF-8.
func wechatJSON(v any) []byte {
	raw, err := marshal(v)
	if err != nil {
		panic("weixintest: reply not encodable: " + err.Error())
	}
	out := make([]byte, 0, len(raw)+len(raw)/8)
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		switch {
		case r == '/': // JSON has '/' only inside strings
			out = append(out, '\\', '/')
		case r >= 0x10000:
			r1, r2 := surrogates(r)
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		default:
			out = append(out, raw[:n]...)
		}
		raw = raw[n:]
	}
	return out
}

// surrogates splits r (beyond the BMP) into its UTF-16 pair.
func surrogates(r rune) (rune, rune) {
	r -= 0x10000
	return 0xd800 + (r>>10)&0x3ff, 0xdc00 + r&0x3ff
}

// writeJSON answers v as WeChat does: HTTP 200, text/plain, WeChat's
// escaping, no trailing newline.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write(wechatJSON(v))
}

// writeErr answers errcode on HTTP 200, as WeChat does, with its errmsg
// and a request id in WeChat's current form (", rid: xxxxxxxx-xxxxxxxx-xxxxxxxx").
func writeErr(w http.ResponseWriter, errcode int) {
	msg, ok := errmsgs[errcode]
	if !ok {
		msg = "unknown error"
	}
	writeJSON(w, obj{{"errcode", errcode}, {"errmsg", msg + ", rid: " + rid()}})
}

// rid returns a request id shaped as WeChat's: three groups of 8 hex
// digits.
func rid() string {
	var b [12]byte
	rand.Read(b[:])
	return fmt.Sprintf("%08x-%08x-%08x", binary.BigEndian.Uint32(b[:4]), binary.BigEndian.Uint32(b[4:8]), binary.BigEndian.Uint32(b[8:]))
}
