package weixin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// PhoneNumber is a mini program user's phone number, from
// /wxa/business/getuserphonenumber.
type PhoneNumber struct {
	// PhoneNumber is the number as WeChat shows it, with the country
	// code for numbers outside mainland China.
	PhoneNumber string `json:"phoneNumber"`
	// PurePhoneNumber is the number without its country code.
	PurePhoneNumber string `json:"purePhoneNumber"`
	// CountryCode is the country calling code, such as "86". WeChat's
	// documentation gives it as a string in its table and as the number
	// 86 in its example: both are read.
	CountryCode FlexString `json:"countryCode"`
	// Watermark says which application the number was given to, and
	// when.
	Watermark struct {
		// Timestamp is when the number was given (Unix seconds).
		Timestamp int64 `json:"timestamp"`
		// AppID is the mini program's appid.
		AppID string `json:"appid"`
	} `json:"watermark"`
}

// FlexString is a JSON string that WeChat sometimes sends as a number:
// it reads both, and writes a string.
type FlexString string

// UnmarshalJSON reads a JSON string, number or null.
func (f *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("wxlogin: want a string or a number, got %.20s", b)
	}
	if _, err := strconv.ParseFloat(string(n), 64); err != nil {
		return err
	}
	*f = FlexString(n.String())
	return nil
}

// PhoneNumber exchanges the code of a mini program's getPhoneNumber
// button for the user's phone number (POST
// /wxa/business/getuserphonenumber with the application's access token).
// The code is single use and lives 5 minutes: a code invalid, used, or
// given to another application (40029, 40163, 40013) fails matching
// ErrCodeInvalid or ErrCodeUsed (core.Classify: 400). The call is never
// repeated, except once after WeChat refused the access token (see
// Client), which it does before looking at the code.
func (s *AppTokenSource) PhoneNumber(ctx context.Context, code string) (*PhoneNumber, error) {
	if code == "" || len(code) > MaxCodeLength {
		return nil, fmt.Errorf("wxlogin: %s: the code is empty or longer than %d bytes: %w", opPhoneNumber, MaxCodeLength, ErrCodeInvalid)
	}
	body, _ := json.Marshal(struct {
		Code string `json:"code"`
	}{code})
	target := s.cfg.endpoint().APIBaseURL + "/wxa/business/getuserphonenumber"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, &UpstreamError{Op: opPhoneNumber, Err: errors.New("invalid API base URL")}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/plain")
	resp, err := s.Client().Do(req)
	if err != nil {
		// http.Client wraps the transport's error in a *url.Error
		// naming the URL (without the token: it is added on a copy).
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		var ue *UpstreamError
		if errors.As(err, &ue) {
			ue.Op = opPhoneNumber
		}
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		PhoneInfo *PhoneNumber `json:"phone_info"`
	}
	if err := decodeReply(ctx, opPhoneNumber, resp, &out); err != nil {
		return nil, err
	}
	p := out.PhoneInfo
	switch {
	case p == nil || p.PhoneNumber == "":
		return nil, &UpstreamError{Op: opPhoneNumber, StatusCode: resp.StatusCode, Err: errors.New("reply has no phone_info.phoneNumber")}
	case p.Watermark.AppID != "" && p.Watermark.AppID != s.cfg.AppID:
		return nil, &UpstreamError{Op: opPhoneNumber, StatusCode: resp.StatusCode, Err: errors.New("reply is watermarked for another appid")}
	}
	return p, nil
}
