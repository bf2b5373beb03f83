package starlarkbind

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	policy "github.com/starnet-dev/starnet/internal/permissions"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/starnet-dev/starnet/loop"
	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"github.com/starnet-dev/starnet/transports"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// The ssl module (API.md "Modules"): Python's SSLContext for scripts, with
// Python's defaults and rules.
//
//	ctx = ssl.create_default_context()              # a client: verifies the server
//	ctx = ssl.create_default_context(cafile = "ca.pem")
//	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)   # a server
//	ctx.load_cert_chain("cert.pem", "key.pem")
//
// A context is a set of settings; each connection made with it takes a
// tls.Config built from the settings in force at that moment, so settings
// changed later apply to later connections (a server's too: its handshakes
// read the settings published last). Certificate and key files are read
// when load_cert_chain / load_verify_locations is called, under
// --allow-read.
//
// A client context verifies the server against the CA certificates loaded
// into it (cafile=, cadata=, load_verify_locations), or against the
// system's roots when none was loaded.

// Python's values for the ssl constants.
const (
	sslProtocolTLSClient = 16
	sslProtocolTLSServer = 17
	sslCertNone          = 0
	sslCertOptional      = 1
	sslCertRequired      = 2
	sslTLSv1_2           = 0x0303
	sslTLSv1_3           = 0x0304
	sslMinimumSupported  = -2
	sslMaximumSupported  = -1
)

// The ssl.Purpose values.
const (
	purposeServerAuth = "SERVER_AUTH"
	purposeClientAuth = "CLIENT_AUTH"
)

// newSSLModule makes the ssl module of e (its contexts read files under
// e's permissions).
func (e *Env) newSSLModule() *starlarkstruct.Module {
	return &starlarkstruct.Module{
		Name: "ssl",
		Members: starlark.StringDict{
			"PROTOCOL_TLS_CLIENT":    starlark.MakeInt(sslProtocolTLSClient),
			"PROTOCOL_TLS_SERVER":    starlark.MakeInt(sslProtocolTLSServer),
			"CERT_NONE":              starlark.MakeInt(sslCertNone),
			"CERT_OPTIONAL":          starlark.MakeInt(sslCertOptional),
			"CERT_REQUIRED":          starlark.MakeInt(sslCertRequired),
			"HAS_ALPN":               starlark.True,
			"create_default_context": starlark.NewBuiltin("create_default_context", e.createDefaultContext),
			"SSLContext":             starlark.NewBuiltin("SSLContext", e.newSSLContextBuiltin),
			"Purpose": &starlarkstruct.Module{Name: "Purpose", Members: starlark.StringDict{
				purposeServerAuth: starlark.String(purposeServerAuth),
				purposeClientAuth: starlark.String(purposeClientAuth),
			}},
			"TLSVersion": &starlarkstruct.Module{Name: "TLSVersion", Members: starlark.StringDict{
				"TLSv1_2":           starlark.MakeInt(sslTLSv1_2),
				"TLSv1_3":           starlark.MakeInt(sslTLSv1_3),
				"MINIMUM_SUPPORTED": starlark.MakeInt(sslMinimumSupported),
				"MAXIMUM_SUPPORTED": starlark.MakeInt(sslMaximumSupported),
			}},
		},
	}
}

// newSSLContextBuiltin implements ssl.SSLContext(protocol).
func (e *Env) newSSLContextBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	const fnname = "ssl.SSLContext"
	var protocol sslProtocolArg
	if err := unpack(fnname, args, kwargs, "protocol", &protocol); err != nil {
		return nil, err
	}
	return newSSLContext(e, int(protocol)), nil
}

// sslProtocolArg unpacks ssl.PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER.
type sslProtocolArg int

func (p *sslProtocolArg) Unpack(v starlark.Value) error {
	var n int
	if err := starlark.AsInt(v, &n); err != nil {
		return bind.Want(v, "int")
	}
	if n != sslProtocolTLSClient && n != sslProtocolTLSServer {
		return bind.Invalid(strconv.Itoa(n) + " is not ssl.PROTOCOL_TLS_CLIENT or ssl.PROTOCOL_TLS_SERVER")
	}
	*p = sslProtocolArg(n)
	return nil
}

// createDefaultContext implements ssl.create_default_context(purpose=
// ssl.Purpose.SERVER_AUTH, cafile=None, cadata=None): a client context
// (SERVER_AUTH: it authenticates servers) or a server context
// (CLIENT_AUTH), with the CA certificates given, else the system's.
func (e *Env) createDefaultContext(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	const fnname = "ssl.create_default_context"
	purpose := purposeArg{purposeServerAuth}
	var cafile bind.OptionalString
	var cadata cadataArg
	if err := unpack(fnname, args, kwargs, "purpose?", &purpose, "cafile?", &cafile, "cadata?", &cadata); err != nil {
		return nil, err
	}
	protocol := sslProtocolTLSClient
	if purpose.p == purposeClientAuth {
		protocol = sslProtocolTLSServer
	}
	c := newSSLContext(e, protocol)
	if !cafile.Set && cadata.v == nil {
		c.defaultCerts = true
		c.changed()
		return c, nil
	}
	if err := c.loadVerifyLocations(cafile, cadata); err != nil {
		return nil, err
	}
	return c, nil
}

// purposeArg unpacks an ssl.Purpose value.
type purposeArg struct{ p string }

func (a *purposeArg) Unpack(v starlark.Value) error {
	s, ok := v.(starlark.String)
	if !ok {
		return bind.Want(v, "ssl.Purpose.SERVER_AUTH or ssl.Purpose.CLIENT_AUTH")
	}
	if p := string(s); p == purposeServerAuth || p == purposeClientAuth {
		a.p = p
		return nil
	}
	return bind.Invalid(strconv.Quote(string(s)) + " is not ssl.Purpose.SERVER_AUTH or ssl.Purpose.CLIENT_AUTH")
}

// sslContext is the value of ssl.SSLContext: Python's SSLContext. Its
// fields change only on the loop's goroutine; what handshakes read (on
// their helper goroutines) is immutable once built: the CA pool and the
// certificate and ALPN slices are replaced, never modified, and a server's
// config is published whole (serverConfig).
type sslContext struct {
	e             *Env
	protocol      int
	checkHostname bool
	verifyMode    int
	minVersion    int
	maxVersion    int
	certs         []tls.Certificate   // load_cert_chain (replaced, never appended to)
	caCerts       []*x509.Certificate // load_verify_locations, in order
	defaultCerts  bool                // load_default_certs: the system's roots too
	pool          *x509.CertPool      // caCerts (+ the system's); nil: the system's only
	alpn          []string            // set_alpn_protocols (replaced, never modified)
	frozen        bool
	bound         bind.Bound // its methods, bound on first use

	// serverConfig is the config a server's handshakes use, rebuilt by
	// changed() on the loop and read by GetConfigForClient on the
	// handshake goroutines.
	serverConfig atomic.Pointer[tls.Config]
}

var (
	_ starlark.HasAttrs    = (*sslContext)(nil)
	_ starlark.HasSetField = (*sslContext)(nil)
)

// newSSLContext makes a context with Python's defaults for protocol: a
// client checks the host name and requires a certificate; a server
// requests none.
func newSSLContext(e *Env, protocol int) *sslContext {
	c := &sslContext{e: e, protocol: protocol, minVersion: sslTLSv1_2, maxVersion: sslMaximumSupported}
	if protocol == sslProtocolTLSClient {
		c.checkHostname = true
		c.verifyMode = sslCertRequired
	}
	c.changed()
	return c
}

func (c *sslContext) String() string {
	return fmt.Sprintf("<ssl.SSLContext %s verify_mode=%s check_hostname=%s>",
		protocolName(c.protocol), verifyModeName(c.verifyMode), starlark.Bool(c.checkHostname))
}

func protocolName(p int) string {
	if p == sslProtocolTLSServer {
		return "PROTOCOL_TLS_SERVER"
	}
	return "PROTOCOL_TLS_CLIENT"
}

func verifyModeName(m int) string {
	switch m {
	case sslCertNone:
		return "CERT_NONE"
	case sslCertOptional:
		return "CERT_OPTIONAL"
	}
	return "CERT_REQUIRED"
}

// Type returns "SSLContext".
func (c *sslContext) Type() string          { return "SSLContext" }
func (c *sslContext) Freeze()               { c.frozen = true }
func (c *sslContext) Truth() starlark.Bool  { return starlark.True }
func (c *sslContext) Hash() (uint32, error) { return identityHash(c), nil }

// isServer reports whether the context is for the server side.
func (c *sslContext) isServer() bool { return c.protocol == sslProtocolTLSServer }

// sslContextMethods are the context's settings and methods. The
// settings are set with SetField; the methods but get_ca_certs change the
// context (mutating).
var sslContextMethods = bind.NewMethods("SSLContext", map[string]bind.Method[*sslContext]{
	"check_hostname":        {Get: func(c *sslContext) (starlark.Value, error) { return starlark.Bool(c.checkHostname), nil }},
	"get_ca_certs":          {Fn0: (*sslContext).getCACertsMethod},
	"load_cert_chain":       {Fn: mutating("load_cert_chain", (*sslContext).loadCertChainMethod)},
	"load_default_certs":    {Fn: mutating("load_default_certs", (*sslContext).loadDefaultCertsMethod)},
	"load_verify_locations": {Fn: mutating("load_verify_locations", (*sslContext).loadVerifyLocationsMethod)},
	"maximum_version":       {Get: func(c *sslContext) (starlark.Value, error) { return starlark.MakeInt(c.maxVersion), nil }},
	"minimum_version":       {Get: func(c *sslContext) (starlark.Value, error) { return starlark.MakeInt(c.minVersion), nil }},
	"protocol":              {Get: func(c *sslContext) (starlark.Value, error) { return starlark.MakeInt(c.protocol), nil }},
	"set_alpn_protocols":    {Fn: mutating("set_alpn_protocols", (*sslContext).setALPNProtocolsMethod)},
	"verify_mode":           {Get: func(c *sslContext) (starlark.Value, error) { return starlark.MakeInt(c.verifyMode), nil }},
})

// mutating makes method fail on a frozen context.
func mutating(name string, method func(*sslContext, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error)) func(*sslContext, string, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(c *sslContext, fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := c.checkMutable(name); err != nil {
			return nil, err
		}
		return method(c, fnname, args, kwargs)
	}
}

// AttrNames lists the context's attributes and methods.
func (c *sslContext) AttrNames() []string { return sslContextMethods.AttrNames(c) }

// Attr returns a setting or a bound method.
func (c *sslContext) Attr(name string) (starlark.Value, error) {
	return sslContextMethods.Attr(c, &c.bound, name)
}

// checkMutable fails for a frozen context (one in a loaded module).
func (c *sslContext) checkMutable(what string) error {
	if c.frozen {
		return fmt.Errorf("cannot use %s on a frozen SSLContext", what)
	}
	return nil
}

// SetField sets check_hostname, verify_mode, minimum_version or
// maximum_version, with Python's rules: turning check_hostname on turns
// CERT_NONE into CERT_REQUIRED, and CERT_NONE cannot be set while
// check_hostname is on.
func (c *sslContext) SetField(name string, v starlark.Value) error {
	if err := c.checkMutable("." + name + " ="); err != nil {
		return err
	}
	var err error
	switch name {
	case "check_hostname":
		err = c.setCheckHostname(v)
	case "verify_mode":
		err = c.setVerifyMode(v)
	case "minimum_version":
		err = setVersion(&c.minVersion, name, v)
	case "maximum_version":
		err = setVersion(&c.maxVersion, name, v)
	case "protocol":
		return loop.Errorf("AttributeError", "SSLContext.protocol is read-only")
	default:
		if sslContextMethods.IsMethod(name) {
			return loop.Errorf("AttributeError", "SSLContext.%s is a method and cannot be set", name)
		}
		return noAttr(c, name)
	}
	if err != nil {
		return err
	}
	c.changed()
	return nil
}

func (c *sslContext) setCheckHostname(v starlark.Value) error {
	b, ok := v.(starlark.Bool)
	if !ok {
		return typeErrorf("SSLContext.check_hostname: got %s, want bool", v.Type())
	}
	c.checkHostname = bool(b)
	if c.checkHostname && c.verifyMode == sslCertNone {
		c.verifyMode = sslCertRequired
	}
	return nil
}

func (c *sslContext) setVerifyMode(v starlark.Value) error {
	var mode int
	if err := starlark.AsInt(v, &mode); err != nil {
		return typeErrorf("SSLContext.verify_mode: got %s, want ssl.CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED", v.Type())
	}
	if mode < sslCertNone || mode > sslCertRequired {
		return valueErrorf("invalid value for verify_mode")
	}
	if mode == sslCertNone && c.checkHostname {
		return valueErrorf("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
	}
	c.verifyMode = mode
	return nil
}

// setVersion sets minimum_version or maximum_version: an ssl.TLSVersion.
func setVersion(dst *int, name string, v starlark.Value) error {
	var version int
	if err := starlark.AsInt(v, &version); err != nil {
		return typeErrorf("SSLContext.%s: got %s, want an ssl.TLSVersion", name, v.Type())
	}
	switch version {
	case sslTLSv1_2, sslTLSv1_3, sslMinimumSupported, sslMaximumSupported:
		*dst = version
		return nil
	}
	return valueErrorf("Unsupported TLS/SSL version 0x%x (starnet supports ssl.TLSVersion.TLSv1_2 and TLSv1_3)", version)
}

// goVersion converts an ssl.TLSVersion to crypto/tls's (0: its default).
func goVersion(v int) uint16 {
	switch v {
	case sslTLSv1_2:
		return tls.VersionTLS12
	case sslTLSv1_3:
		return tls.VersionTLS13
	}
	return 0
}

// loadCertChainMethod implements load_cert_chain(certfile, keyfile=None):
// the certificate (with its chain) and its private key, from PEM files;
// without keyfile the key is in certfile.
func (c *sslContext) loadCertChainMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var certfile string
	var keyfile bind.OptionalString
	if err := unpack(fnname, args, kwargs, "certfile", &certfile, "keyfile?", &keyfile); err != nil {
		return nil, err
	}
	certPEM, err := c.readFile(certfile)
	if err != nil {
		return nil, err
	}
	keyPEM := certPEM
	if keyfile.Set {
		if keyPEM, err = c.readFile(keyfile.S); err != nil {
			return nil, err
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, failWith(NewErrorValue(certChainError(err)))
	}
	c.certs = []tls.Certificate{cert}
	c.changed()
	return starlark.None, nil
}

// certChainError reads like OpenSSL's errors for a bad certificate chain.
func certChainError(err error) *transports.Error {
	if strings.Contains(err.Error(), "does not match") {
		return transports.NewError(transports.KindSSLError, "[SSL: KEY_VALUES_MISMATCH] key values mismatch")
	}
	return transports.NewError(transports.KindSSLError, "[SSL] PEM lib: "+err.Error())
}

// readFile reads a certificate, key or CA file under --allow-read.
func (c *sslContext) readFile(path string) ([]byte, error) {
	resolved, err := c.e.perms.readPath(path)
	if err != nil {
		return nil, failWith(NewErrorValue(err))
	}
	b, err := policy.ReadFile(resolved)
	if err != nil {
		return nil, failWith(NewErrorValue(transports.MapError(err)))
	}
	return b, nil
}

// loadVerifyLocationsMethod implements load_verify_locations(cafile=None,
// cadata=None): CA certificates to verify the peer with.
func (c *sslContext) loadVerifyLocationsMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var cafile bind.OptionalString
	var cadata cadataArg
	if err := unpack(fnname, args, kwargs, "cafile?", &cafile, "cadata?", &cadata); err != nil {
		return nil, err
	}
	if !cafile.Set && cadata.v == nil {
		return nil, typeErrorf("%s: cafile and cadata cannot be both omitted", fnname)
	}
	if err := c.loadVerifyLocations(cafile, cadata); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// loadVerifyLocations adds the CA certificates of cafile (PEM) and cadata
// (a string of PEM certificates, or bytes of DER certificates).
func (c *sslContext) loadVerifyLocations(cafile bind.OptionalString, cadata cadataArg) error {
	var certs []*x509.Certificate
	if cafile.Set {
		b, err := c.readFile(cafile.S)
		if err != nil {
			return err
		}
		parsed, err := parsePEMCertificates(b)
		if err != nil {
			return err
		}
		certs = append(certs, parsed...)
	}
	switch d := cadata.v.(type) {
	case nil:
	case starlark.String:
		parsed, err := parsePEMCertificates([]byte(d))
		if err != nil {
			return err
		}
		certs = append(certs, parsed...)
	case starlark.Bytes:
		parsed, err := x509.ParseCertificates([]byte(d))
		if err != nil || len(parsed) == 0 {
			return failWith(NewErrorValue(transports.NewError(transports.KindSSLError, "[ASN1] not enough data: cadata is not DER certificates")))
		}
		certs = append(certs, parsed...)
	}
	c.caCerts = append(c.caCerts[:len(c.caCerts):len(c.caCerts)], certs...)
	c.changed()
	return nil
}

// cadataArg unpacks cadata: a string of PEM certificates, bytes of DER
// certificates, or None (v is nil then).
type cadataArg struct{ v starlark.Value }

func (a *cadataArg) Unpack(v starlark.Value) error {
	switch v.(type) {
	case starlark.NoneType:
		a.v = nil
	case starlark.String, starlark.Bytes:
		a.v = v
	default:
		return bind.Want(v, "str (PEM) or bytes (DER)")
	}
	return nil
}

// parsePEMCertificates reads the CERTIFICATE blocks of PEM data; other
// blocks are skipped. No certificate at all is OpenSSL's error.
func parsePEMCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, failWith(NewErrorValue(transports.NewError(transports.KindSSLError, "[X509] "+err.Error())))
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, failWith(NewErrorValue(transports.NewError(transports.KindSSLError, "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found")))
	}
	return certs, nil
}

// loadDefaultCertsMethod implements load_default_certs(purpose=
// ssl.Purpose.SERVER_AUTH): the system's roots are trusted too.
func (c *sslContext) loadDefaultCertsMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var purpose purposeArg
	if err := unpack(fnname, args, kwargs, "purpose?", &purpose); err != nil {
		return nil, err
	}
	c.defaultCerts = true
	c.changed()
	return starlark.None, nil
}

// setALPNProtocolsMethod implements set_alpn_protocols(protocols): the
// protocols offered (a client) or accepted (a server), in order of
// preference.
func (c *sslContext) setALPNProtocolsMethod(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var seq starlark.Iterable
	if err := unpack(fnname, args, kwargs, "alpn_protocols", &seq); err != nil {
		return nil, err
	}
	var protos []string
	it := seq.Iterate()
	defer it.Done()
	var x starlark.Value
	for it.Next(&x) {
		var s string
		if err := bind.UnpackElement(fnname, "alpn_protocols", len(protos), x, &s); err != nil {
			return nil, err
		}
		if len(s) == 0 || len(s) > 255 {
			return nil, failWith(NewErrorValue(transports.NewError(transports.KindSSLError, "NPN / ALPN protocols must be 1 to 255 in length")))
		}
		protos = append(protos, s)
	}
	c.alpn = protos
	c.changed()
	return starlark.None, nil
}

// getCACertsMethod implements get_ca_certs(): the CA certificates loaded
// (not the system's), as getpeercert() dicts.
func (c *sslContext) getCACertsMethod() (starlark.Value, error) {
	list := make([]starlark.Value, len(c.caCerts))
	for i, cert := range c.caCerts {
		list[i] = certInfoDict(transports.CertificateInfo(cert))
	}
	return starlark.NewList(list), nil
}

// changed rebuilds what handshakes read after a setting changed.
func (c *sslContext) changed() {
	c.pool = c.buildPool()
	if c.isServer() {
		c.serverConfig.Store(c.buildServerConfig())
	}
}

// buildPool returns a new pool of the CA certificates loaded (and the
// system's, after load_default_certs), or nil for the system's roots
// alone.
func (c *sslContext) buildPool() *x509.CertPool {
	if len(c.caCerts) == 0 {
		return nil
	}
	pool := x509.NewCertPool()
	if c.defaultCerts {
		if sys, err := x509.SystemCertPool(); err == nil {
			pool = sys
		}
	}
	for _, cert := range c.caCerts {
		pool.AddCert(cert)
	}
	return pool
}
