// Package permissions is starnet's sandbox policy for file-system paths: it
// turns a path a script names into the path the kernel will really reach,
// decides whether an allow-list covers it, and opens exactly what was
// checked.
//
// A check on the text of a path is not a check on the file: "pub/etc/shadow"
// with pub/etc -> /etc, "pub/lnk/../secret" with lnk -> elsewhere, or
// "/proc/self/root/etc/shadow" all name files outside pub. So every path is
// resolved first, as the kernel resolves it (symbolic links followed, ".."
// applied to what a link led to, relative paths taken from the working
// directory), allow-list entries are resolved the same way at start-up, and
// the comparison is made on the results. The file is then opened with
// symbolic links refused (openat2's RESOLVE_NO_SYMLINKS on Linux), so that a
// link swapped in between the check and the open fails the open instead of
// escaping the check.
//
// This package must import only the standard library and golang.org/x/sys.
// It knows nothing of Starlark, the loop or the transports.
package permissions
