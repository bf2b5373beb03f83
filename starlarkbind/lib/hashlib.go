package lib

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
)

// The hashlib and hmac modules: Go's crypto hashes under Python's names.

// hashAlgorithms are the constructors, by Python's name.
var hashAlgorithms = map[string]func() hash.Hash{
	"md5":      md5.New,
	"sha1":     sha1.New,
	"sha224":   sha256.New224,
	"sha256":   sha256.New,
	"sha384":   sha512.New384,
	"sha512":   sha512.New,
	"sha3_224": func() hash.Hash { return sha3.New224() },
	"sha3_256": func() hash.Hash { return sha3.New256() },
	"sha3_384": func() hash.Hash { return sha3.New384() },
	"sha3_512": func() hash.Hash { return sha3.New512() },
}

func algorithmNames() []string {
	names := make([]string, 0, len(hashAlgorithms))
	for n := range hashAlgorithms {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func newHashlibModule() *starlarkstruct.Module {
	members := starlark.StringDict{
		"new": starlark.NewBuiltin("hashlib.new", hashlibNew),
	}
	var names []starlark.Value
	for _, n := range algorithmNames() {
		members[n] = starlark.NewBuiltin("hashlib."+n, hashConstructor)
		names = append(names, starlark.String(n))
	}
	members["algorithms_available"] = starlark.NewList(names)
	members["algorithms_guaranteed"] = starlark.NewList(names)
	members["algorithms_available"].Freeze()
	members["algorithms_guaranteed"].Freeze()
	return &starlarkstruct.Module{Name: "hashlib", Members: members}
}

// hashData unpacks data to hash: bytes or a buffer. A str is refused, as
// in Python.
type hashData struct{ s string }

// Unpack implements starlark.Unpacker.
func (a *hashData) Unpack(v starlark.Value) error {
	if _, ok := v.(starlark.String); ok {
		return errStrHashed{}
	}
	s, ok := bytesLike(v)
	if !ok {
		return fmt.Errorf("got %s, want bytes", v.Type())
	}
	a.s = s
	return nil
}

// errStrHashed is Python's error for hashing a str.
type errStrHashed struct{}

func (errStrHashed) Error() string { return "Strings must be encoded before hashing" }

// hashConstructor is hashlib.sha256(data=b"") and its siblings.
func hashConstructor(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data hashData
	if err := unpack(b.Name(), args, kwargs, "data?", &data); err != nil {
		return nil, err
	}
	return newHashValue(shortName(b), hashAlgorithms[shortName(b)], data.s), nil
}

// hashlibNew is hashlib.new(name, data=b"").
func hashlibNew(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var data hashData
	if err := unpack(b.Name(), args, kwargs, "name", &name, "data?", &data); err != nil {
		return nil, err
	}
	algo, ok := hashAlgorithms[strings.ToLower(name)]
	if !ok {
		return nil, valueErrorf("%s: unsupported hash type %s (have %s)", b.Name(), name, strings.Join(algorithmNames(), ", "))
	}
	return newHashValue(strings.ToLower(name), algo, data.s), nil
}

// hashValue is a hash object (hashlib's, or hmac's when name starts with
// "hmac-").
type hashValue struct {
	name   string
	h      hash.Hash
	frozen bool
}

var _ starlark.HasAttrs = (*hashValue)(nil)

func newHashValue(name string, algo func() hash.Hash, data string) *hashValue {
	h := algo()
	h.Write([]byte(data))
	return &hashValue{name: name, h: h}
}

// String reads as Python's repr: <sha256 _hashlib.HASH object>.
func (v *hashValue) String() string { return "<" + v.name + " hash object>" }

// Type is "hash" (an HMAC's too).
func (v *hashValue) Type() string { return "hash" }

// Freeze makes update fail.
func (v *hashValue) Freeze() { v.frozen = true }

// Truth is true.
func (v *hashValue) Truth() starlark.Bool { return starlark.True }

// Hash fails: the value is mutable.
func (v *hashValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable type: hash") }

// AttrNames lists the attributes.
func (v *hashValue) AttrNames() []string {
	return []string{"block_size", "copy", "digest", "digest_size", "hexdigest", "name", "update"}
}

// Attr returns an attribute or a bound method.
func (v *hashValue) Attr(name string) (starlark.Value, error) {
	switch name {
	case "name":
		return starlark.String(v.name), nil
	case "digest_size":
		return starlark.MakeInt(v.h.Size()), nil
	case "block_size":
		return starlark.MakeInt(v.h.BlockSize()), nil
	case "update", "digest", "hexdigest", "copy":
		return starlark.NewBuiltin(name, v.method).BindReceiver(v), nil
	}
	return nil, nil
}

func (v *hashValue) method(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	fnname := v.name + "." + b.Name()
	if b.Name() == "update" {
		var data hashData
		if err := unpack(fnname, args, kwargs, "data", &data); err != nil {
			return nil, err
		}
		if v.frozen {
			return nil, valueErrorf("%s: cannot update a frozen hash object", fnname)
		}
		v.h.Write([]byte(data.s))
		return starlark.None, nil
	}
	if err := unpack(fnname, args, kwargs); err != nil {
		return nil, err
	}
	switch b.Name() {
	case "digest":
		return starlark.Bytes(v.h.Sum(nil)), nil
	case "hexdigest":
		return starlark.String(hex.EncodeToString(v.h.Sum(nil))), nil
	}
	c, ok := v.h.(hash.Cloner)
	if !ok {
		return nil, valueErrorf("%s: this hash cannot be copied", fnname)
	}
	h, err := c.Clone()
	if err != nil {
		return nil, valueErrorf("%s: %v", fnname, err)
	}
	return &hashValue{name: v.name, h: h}, nil
}

func newHMACModule() *starlarkstruct.Module {
	return &starlarkstruct.Module{
		Name: "hmac",
		Members: starlark.StringDict{
			"new":            starlark.NewBuiltin("hmac.new", hmacNew),
			"digest":         starlark.NewBuiltin("hmac.digest", hmacDigest),
			"compare_digest": starlark.NewBuiltin("hmac.compare_digest", compareDigest),
		},
	}
}

// digestmod resolves hmac's digestmod: a name or a hashlib constructor.
func digestmod(fnname string, v starlark.Value) (string, func() hash.Hash, error) {
	name := ""
	switch v := v.(type) {
	case starlark.String:
		name = strings.ToLower(string(v))
	case *starlark.Builtin:
		if strings.HasPrefix(v.Name(), "hashlib.") {
			name = strings.TrimPrefix(v.Name(), "hashlib.")
		}
	case starlark.NoneType:
		return "", nil, typeErrorf("%s: Missing required parameter 'digestmod'.", fnname)
	}
	algo, ok := hashAlgorithms[name]
	if !ok {
		return "", nil, valueErrorf("%s: for parameter digestmod: unsupported digest %s, want a hashlib name or constructor", fnname, v)
	}
	return name, algo, nil
}

// hmacNew is hmac.new(key, msg=None, digestmod).
func hmacNew(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key hashData
	var msg starlark.Value = starlark.None
	var mod starlark.Value = starlark.None
	if err := unpack(b.Name(), args, kwargs, "key", &key, "msg?", &msg, "digestmod?", &mod); err != nil {
		return nil, err
	}
	name, algo, err := digestmod(b.Name(), mod)
	if err != nil {
		return nil, err
	}
	var data hashData
	if msg != starlark.None {
		if err := data.Unpack(msg); err != nil {
			return nil, typeErrorf("%s: for parameter msg: %v", b.Name(), err)
		}
	}
	return newHashValue("hmac-"+name, func() hash.Hash { return hmac.New(algo, []byte(key.s)) }, data.s), nil
}

// hmacDigest is hmac.digest(key, msg, digest).
func hmacDigest(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key, msg hashData
	var mod starlark.Value
	if err := unpack(b.Name(), args, kwargs, "key", &key, "msg", &msg, "digest", &mod); err != nil {
		return nil, err
	}
	_, algo, err := digestmod(b.Name(), mod)
	if err != nil {
		return nil, err
	}
	h := hmac.New(algo, []byte(key.s))
	h.Write([]byte(msg.s))
	return starlark.Bytes(h.Sum(nil)), nil
}

// compareDigest is compare_digest(a, b): a == b in time that depends only
// on the lengths, for two bytes or two ASCII strs.
func compareDigest(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var x, y textArg
	if err := unpack(b.Name(), args, kwargs, "a", &x, "b", &y); err != nil {
		return nil, err
	}
	if x.isBytes != y.isBytes {
		return nil, typeErrorf("%s: a and b must both be bytes or both be str", b.Name())
	}
	if !x.isBytes && (!isASCII(x.s) || !isASCII(y.s)) {
		return nil, typeErrorf("%s: comparing strings with non-ASCII characters is not supported", b.Name())
	}
	return starlark.Bool(subtle.ConstantTimeCompare([]byte(x.s), []byte(y.s)) == 1), nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
