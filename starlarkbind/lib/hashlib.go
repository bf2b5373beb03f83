package lib

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/subtle"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"sort"
	"strings"

	"github.com/starnet-dev/starnet/starlarkbind/internal/bind"
	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"golang.org/x/crypto/blake2b"
	"golang.org/x/crypto/blake2s"
)

// The hashlib and hmac modules: Go's crypto hashes (and golang.org/x/crypto's
// BLAKE2) under Python's names.

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
	"blake2b":  func() hash.Hash { return mustBlake(blake2b.New(blake2b.Size, nil)) },
	"blake2s":  func() hash.Hash { return mustBlake(blake2s.New256(nil)) },
}

// blakeSizes are the largest digest and key sizes of the BLAKE2 hashes.
var blakeSizes = map[string]int{"blake2b": blake2b.Size, "blake2s": blake2s.Size}

// mustBlake returns h: BLAKE2 fails only for sizes newBlake has checked.
func mustBlake(h hash.Hash, err error) hash.Hash {
	if err != nil {
		return sha256.New() // not reached: the sizes were checked
	}
	return h
}

// blakeSize unpacks a BLAKE2 digest_size, 1 to limit.
type blakeSize struct{ limit, n int }

// Unpack implements starlark.Unpacker.
func (a *blakeSize) Unpack(v starlark.Value) error {
	n, err := starlark.AsInt32(v)
	if err != nil {
		return bind.Want(v, "int")
	}
	if n < 1 || n > a.limit {
		return bind.Invalid("digest_size must be between 1 and " + itoa(a.limit) + " bytes")
	}
	a.n = n
	return nil
}

// blakeKey unpacks a BLAKE2 key of at most limit bytes.
type blakeKey struct {
	limit int
	s     string
}

// Unpack implements starlark.Unpacker.
func (a *blakeKey) Unpack(v starlark.Value) error {
	var d hashData
	if err := d.Unpack(v); err != nil {
		return err
	}
	if len(d.s) > a.limit {
		return bind.Invalid("maximum key length is " + itoa(a.limit) + " bytes")
	}
	a.s = d.s
	return nil
}

// newBlake makes a BLAKE2 hash with Python's digest_size and key (checked
// by their Unpackers).
func newBlake(fnname, name string, size int, key string) (func() hash.Hash, error) {
	if name == "blake2b" {
		return func() hash.Hash { return mustBlake(blake2b.New(size, []byte(key))) }, nil
	}
	if size == blake2s.Size {
		return func() hash.Hash { return mustBlake(blake2s.New256([]byte(key))) }, nil
	}
	if key == "" {
		return nil, valueErrorf("%s: a blake2s digest shorter than 32 bytes needs a key here (golang.org/x/crypto's limit)", fnname)
	}
	return func() hash.Hash { return mustBlake(blake2s.New128([]byte(key))) }, nil
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
		return bind.Want(v, "bytes")
	}
	a.s = s
	return nil
}

// errStrHashed is Python's error for hashing a str.
type errStrHashed struct{}

func (errStrHashed) Error() string { return "Strings must be encoded before hashing" }

// hashConstructor is hashlib.sha256(data=b"") and its siblings, and
// hashlib.blake2b(data=b"", digest_size=64, key=b"") and blake2s.
func hashConstructor(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var data hashData
	name := shortName(b)
	limit, isBlake := blakeSizes[name]
	if !isBlake {
		if err := unpack(b.Name(), args, kwargs, "data?", &data); err != nil {
			return nil, err
		}
		return newHashValue(name, hashAlgorithms[name], data.s), nil
	}
	size := blakeSize{limit: limit, n: limit}
	key := blakeKey{limit: limit}
	if err := unpack(b.Name(), args, kwargs, "data?", &data, "digest_size?", &size, "key?", &key); err != nil {
		return nil, err
	}
	algo, err := newBlake(b.Name(), name, size.n, key.s)
	if err != nil {
		return nil, err
	}
	return newHashValue(name, algo, data.s), nil
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
	algo   func() hash.Hash // makes a fresh one (copy)
	h      hash.Hash
	frozen bool
}

var _ starlark.HasAttrs = (*hashValue)(nil)

func newHashValue(name string, algo func() hash.Hash, data string) *hashValue {
	h := algo()
	h.Write([]byte(data))
	return &hashValue{name: name, algo: algo, h: h}
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

// hashMethods is a hash object's table (hashlib's and hmac's).
var hashMethods = bind.NewMethods("hash", map[string]bind.Method[*hashValue]{
	"name":        {Get: func(v *hashValue) (starlark.Value, error) { return starlark.String(v.name), nil }},
	"digest_size": {Get: func(v *hashValue) (starlark.Value, error) { return starlark.MakeInt(v.h.Size()), nil }},
	"block_size":  {Get: func(v *hashValue) (starlark.Value, error) { return starlark.MakeInt(v.h.BlockSize()), nil }},
	"update":      {Fn: (*hashValue).update},
	"digest":      {Fn0: func(v *hashValue) (starlark.Value, error) { return starlark.Bytes(v.h.Sum(nil)), nil }},
	"hexdigest": {Fn0: func(v *hashValue) (starlark.Value, error) {
		return starlark.String(hex.EncodeToString(v.h.Sum(nil))), nil
	}},
	"copy": {Fn0: (*hashValue).copy},
})

// AttrNames lists the attributes.
func (v *hashValue) AttrNames() []string { return hashMethods.AttrNames(v) }

// Attr returns an attribute or a bound method.
func (v *hashValue) Attr(name string) (starlark.Value, error) { return hashMethods.Attr(v, nil, name) }

// update is hash.update(data).
func (v *hashValue) update(fnname string, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
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

// copy is hash.copy().
func (v *hashValue) copy() (starlark.Value, error) {
	h, err := cloneHash(v.h, v.algo)
	if err != nil {
		return nil, valueErrorf("hash.copy: %v", err)
	}
	return &hashValue{name: v.name, algo: v.algo, h: h}, nil
}

// cloneHash copies h: a hash.Cloner clones itself (the standard library's
// do), another is marshalled into a fresh one from algo.
func cloneHash(h hash.Hash, algo func() hash.Hash) (hash.Hash, error) {
	if c, ok := h.(hash.Cloner); ok {
		return c.Clone()
	}
	m, ok := h.(encoding.BinaryMarshaler)
	if !ok {
		return nil, fmt.Errorf("this hash cannot be copied")
	}
	state, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	fresh := algo()
	u, ok := fresh.(encoding.BinaryUnmarshaler)
	if !ok {
		return nil, fmt.Errorf("this hash cannot be copied")
	}
	if err := u.UnmarshalBinary(state); err != nil {
		return nil, err
	}
	return fresh, nil
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

// digestmodArg unpacks hmac's digestmod: a hashlib name or constructor.
type digestmodArg struct {
	name string
	algo func() hash.Hash
}

// Unpack implements starlark.Unpacker.
func (a *digestmodArg) Unpack(v starlark.Value) error {
	name := ""
	switch v := v.(type) {
	case starlark.String:
		name = strings.ToLower(string(v))
	case *starlark.Builtin:
		name = strings.TrimPrefix(v.Name(), "hashlib.")
	default:
		return bind.Want(v, "a hashlib name or constructor")
	}
	algo, ok := hashAlgorithms[name]
	if !ok {
		return bind.Invalid("unsupported digest " + v.String() + ", want a hashlib name or constructor")
	}
	a.name, a.algo = name, algo
	return nil
}

// hmacNew is hmac.new(key, msg=None, digestmod).
func hmacNew(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key, data hashData
	var mod digestmodArg
	if err := unpack(b.Name(), args, kwargs, "key", &key, "msg??", &data, "digestmod??", &mod); err != nil {
		return nil, err
	}
	if mod.algo == nil {
		return nil, typeErrorf("%s: Missing required parameter 'digestmod'.", b.Name())
	}
	algo := mod.algo
	return newHashValue("hmac-"+mod.name, func() hash.Hash { return hmac.New(algo, []byte(key.s)) }, data.s), nil
}

// hmacDigest is hmac.digest(key, msg, digest).
func hmacDigest(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key, msg hashData
	var mod digestmodArg
	if err := unpack(b.Name(), args, kwargs, "key", &key, "msg", &msg, "digest", &mod); err != nil {
		return nil, err
	}
	h := hmac.New(mod.algo, []byte(key.s))
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
