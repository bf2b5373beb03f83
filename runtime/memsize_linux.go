package runtime

import (
	"bufio"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// availableMemory returns the memory this process may use: physical
// memory, or the cgroup's limit (v2 memory.max, v1 memory.limit_in_bytes)
// when that is lower; 0 if unknown.
func availableMemory() uint64 {
	var info unix.Sysinfo_t
	var total uint64
	if unix.Sysinfo(&info) == nil {
		total = uint64(info.Totalram) * uint64(info.Unit)
	}
	if c := cgroupLimit(); c > 0 && (total == 0 || c < total) {
		total = c
	}
	return total
}

// cgroupLimit returns this process's cgroup memory limit (the lowest of
// the files that can be read), 0 if none.
func cgroupLimit() uint64 {
	var files []string
	if f, err := os.Open("/proc/self/cgroup"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			// "0::/path" (v2) or "4:memory:/path" (v1)
			parts := strings.SplitN(sc.Text(), ":", 3)
			if len(parts) != 3 {
				continue
			}
			switch {
			case parts[0] == "0" && parts[1] == "":
				files = append(files, path.Join("/sys/fs/cgroup", parts[2], "memory.max"))
			case strings.Contains(","+parts[1]+",", ",memory,"):
				files = append(files, path.Join("/sys/fs/cgroup/memory", parts[2], "memory.limit_in_bytes"))
			}
		}
		f.Close()
	}
	files = append(files, "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
	var lowest uint64
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		// "max" (v2) does not parse; v1 says "no limit" with a huge number.
		n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && n > 0 && n < 1<<62 && (lowest == 0 || n < lowest) {
			lowest = n
		}
	}
	return lowest
}
