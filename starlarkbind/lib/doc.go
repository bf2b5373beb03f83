// Package lib is starnet's script library (API.md §6 "Library"): the
// modules a network tool needs besides its sockets, predeclared in every
// script as go.starlark.net's json, time and math are.
//
//	bytes     Python's bytes methods as functions (bytes.partition(data, sep), ...),
//	          and bytes(s, encoding, errors) encoding; still callable as bytes(x)
//	format    Python's format(value, spec): widths, precision, alignment
//	string    Python's string constants and string.format(template, *args, **kwargs)
//	re        Python's re over Go's regexp (RE2)
//	hashlib   md5, sha1, sha224, sha256, sha384, sha512, sha3_256, sha3_512
//	hmac      hmac.new(key, msg, digestmod), hmac.digest, hmac.compare_digest
//	random    crypto-quality by default; random.Random(seed) for reproducible runs
//	secrets   token_bytes, token_hex, token_urlsafe, randbelow, choice, compare_digest
//	logging   levelled, timestamped lines on stderr
//
// and the file functions of the os module (os.read_file, os.write_file,
// os.listdir, os.stat, os.remove, os.path), which check every path with
// the FileSystem they are given (the sandbox's --allow-read and
// --allow-write) and open what was checked.
//
// As every value of starlarkbind (docs/CONTRIBUTING-values.md): a builtin
// unpacks its arguments with bind.UnpackArgs into Unpacker types, so a bad
// argument is a TypeError or ValueError (a loop.Exception) whose message
// names the function and the argument; a value's attributes are a
// bind.Methods table. Nothing here touches the file system or the network
// except through a FileSystem.
package lib
