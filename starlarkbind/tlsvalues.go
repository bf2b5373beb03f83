package starlarkbind

import (
	"crypto/tls"
	"fmt"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// What a TLS transport's get_extra_info returns (API.md "Transports"), as Python's
// SSL transport does:
//
//	"peercert"     the peer's certificate as getpeercert(): a dict with
//	               Python's keys in Python's order and tuples where
//	               Python has tuples; {} when it was not verified
//	               (CERT_NONE); None when the peer sent none
//	"cipher"       (name, version, secret bits), e.g.
//	               ("TLS_AES_128_GCM_SHA256", "TLSv1.3", 128)
//	"sslcontext"   the ssl.SSLContext the connection was made with
//	"ssl_object"   an SSLObject: version(), selected_alpn_protocol(),
//	               cipher(), getpeercert(binary_form=False), compression(),
//	               server_side, server_hostname, context
//	"compression"  None
//
// and every key of the socket underneath ("peername", "socket", ...).

// extraInfo returns get_extra_info(name) of t, or nil when it has none.
func (e *Env) extraInfo(t transports.BaseTransport, name string) starlark.Value {
	switch name {
	case "peercert":
		if obj := sslObjectOf(t); obj != nil {
			return peerCertValue(obj)
		}
		return nil
	case "sslcontext":
		if cfg, ok := t.GetExtraInfo(name).(*tls.Config); ok {
			return e.contextValue(cfg)
		}
		return nil
	case "ssl_object":
		if obj := sslObjectOf(t); obj != nil {
			return &sslObjectValue{e: e, t: t, obj: obj}
		}
		return nil
	case "cipher":
		if c, ok := t.GetExtraInfo(name).(transports.TLSCipher); ok {
			return cipherTuple(c)
		}
		return nil
	}
	v := t.GetExtraInfo(name)
	if v == nil {
		return nil
	}
	return e.fromGo(v)
}

// sslObjectOf returns a TLS transport's SSLObject, or nil.
func sslObjectOf(t transports.BaseTransport) *transports.SSLObject {
	obj, _ := t.GetExtraInfo("ssl_object").(*transports.SSLObject)
	return obj
}

// contextValue returns the context a config was made from; None for a
// config a Go host made.
func (e *Env) contextValue(cfg *tls.Config) starlark.Value {
	if c := e.tlsContexts.lookup(cfg); c != nil {
		return c
	}
	return starlark.None
}

// cipherTuple is Python's cipher() triple.
func cipherTuple(c transports.TLSCipher) starlark.Tuple {
	return starlark.Tuple{starlark.String(c.Name), starlark.String(c.Version), starlark.MakeInt(c.Bits)}
}

// peerCertValue is getpeercert(): a server receives only the client
// certificates it asked for, and it asks only to verify them, so a server
// always describes the one it got; a client's SSLObject knows whether it
// verified the server's.
func peerCertValue(obj *transports.SSLObject) starlark.Value {
	state := obj.ConnectionState()
	if len(state.PeerCertificates) == 0 {
		return starlark.None
	}
	if obj.ServerSide() {
		return certInfoDict(transports.CertificateInfo(state.PeerCertificates[0]))
	}
	return certInfoDict(obj.PeerCert())
}

// certInfoDict converts transports.CertificateInfo to Python's dict, keys
// in Python's order, sequences as tuples.
func certInfoDict(info map[string]any) *starlark.Dict {
	d := starlark.NewDict(len(info))
	for _, k := range transports.CertificateInfoKeys() {
		if v, ok := info[k]; ok {
			_ = d.SetKey(starlark.String(k), certInfoValue(v))
		}
	}
	return d
}

// certInfoValue converts one value of a certificate description.
func certInfoValue(v any) starlark.Value {
	switch v := v.(type) {
	case string:
		return starlark.String(v)
	case int:
		return starlark.MakeInt(v)
	case []any:
		t := make(starlark.Tuple, len(v))
		for i, x := range v {
			t[i] = certInfoValue(x)
		}
		return t
	}
	return starlark.String(fmt.Sprint(v))
}

// sslObjectValue is get_extra_info("ssl_object"): what Python's SSLObject
// tells about an established connection. Two values of one connection
// compare equal.
type sslObjectValue struct {
	e   *Env
	t   transports.BaseTransport
	obj *transports.SSLObject
}

var (
	_ starlark.HasAttrs   = (*sslObjectValue)(nil)
	_ starlark.Comparable = (*sslObjectValue)(nil)
)

func (s *sslObjectValue) String() string {
	return fmt.Sprintf("<ssl.SSLObject %s server_side=%s>", s.obj.Version(), starlark.Bool(s.obj.ServerSide()))
}

// Type returns "SSLObject".
func (s *sslObjectValue) Type() string          { return "SSLObject" }
func (s *sslObjectValue) Freeze()               {}
func (s *sslObjectValue) Truth() starlark.Bool  { return starlark.True }
func (s *sslObjectValue) Hash() (uint32, error) { return identityHash(s.obj), nil }

// CompareSameType compares the connections.
func (s *sslObjectValue) CompareSameType(op syntax.Token, y starlark.Value, _ int) (bool, error) {
	same := s.obj == y.(*sslObjectValue).obj
	switch op {
	case syntax.EQL:
		return same, nil
	case syntax.NEQ:
		return !same, nil
	}
	return false, typeErrorf("SSLObject %s SSLObject not supported", op)
}

// sslObjectMethods are what an SSLObject tells.
var sslObjectMethods = bind.NewMethods("SSLObject", map[string]bind.Method[*sslObjectValue]{
	"cipher":                 {Fn0: func(s *sslObjectValue) (starlark.Value, error) { return cipherTuple(s.obj.Cipher()), nil }},
	"compression":            {Fn0: func(*sslObjectValue) (starlark.Value, error) { return starlark.None, nil }},
	"context":                {Get: (*sslObjectValue).context},
	"getpeercert":            {Fn: (*sslObjectValue).getpeercert},
	"selected_alpn_protocol": {Fn0: (*sslObjectValue).selectedALPNProtocol},
	"server_hostname":        {Get: (*sslObjectValue).serverHostname},
	"server_side":            {Get: func(s *sslObjectValue) (starlark.Value, error) { return starlark.Bool(s.obj.ServerSide()), nil }},
	"version":                {Fn0: func(s *sslObjectValue) (starlark.Value, error) { return starlark.String(s.obj.Version()), nil }},
})

// AttrNames lists the attributes.
func (s *sslObjectValue) AttrNames() []string { return sslObjectMethods.AttrNames(s) }

// Attr returns an attribute or a method.
func (s *sslObjectValue) Attr(name string) (starlark.Value, error) {
	return sslObjectMethods.Attr(s, nil, name)
}

func (s *sslObjectValue) serverHostname() (starlark.Value, error) {
	if h := s.obj.ServerHostname(); h != "" {
		return starlark.String(h), nil
	}
	return starlark.None, nil
}

func (s *sslObjectValue) context() (starlark.Value, error) {
	if v := s.e.extraInfo(s.t, "sslcontext"); v != nil {
		return v, nil
	}
	return starlark.None, nil
}

func (s *sslObjectValue) selectedALPNProtocol() (starlark.Value, error) {
	if p := s.obj.SelectedALPNProtocol(); p != "" {
		return starlark.String(p), nil
	}
	return starlark.None, nil
}

// getpeercert implements getpeercert(binary_form=False): the dict of
// get_extra_info("peercert"), or with binary_form the DER certificate
// (even one not verified).
func (s *sslObjectValue) getpeercert(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	binaryForm := false
	if err := unpack(fnname, args, kwargs, "binary_form?", &binaryForm); err != nil {
		return nil, err
	}
	if !binaryForm {
		return peerCertValue(s.obj), nil
	}
	if der := s.obj.PeerCertDER(); der != nil {
		return starlark.Bytes(der), nil
	}
	return starlark.None, nil
}
