// runc-capdrop: a runc wrapper for sandboxes whose capability bounding set lacks some capabilities.
// Docker's --privileged asks for every capability; runc then fails with "unable to apply caps:
// operation not permitted" when one is outside the bounding set. Before `create`/`run` (the bundle's
// config.json) and `exec` (its --process file), this removes every capability the bounding set of this
// process lacks, then execs the real runc with the same arguments. Other commands pass through untouched.
// Without CAP_SYS_RESOURCE a process cannot lower its oom_score_adj either, and runc fails with "can't get
// final child's PID from pipe: EOF" when a spec asks for less than the current value (kubelet's pod
// sandboxes ask for -998): such a request is raised to the current value. In a kind node the same binary
// wraps the node's runc (containerd's BinaryName), so pods start there too.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Capability numbers from linux/capability.h.
var capBits = map[string]uint{
	"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3, "CAP_FSETID": 4,
	"CAP_KILL": 5, "CAP_SETGID": 6, "CAP_SETUID": 7, "CAP_SETPCAP": 8, "CAP_LINUX_IMMUTABLE": 9,
	"CAP_NET_BIND_SERVICE": 10, "CAP_NET_BROADCAST": 11, "CAP_NET_ADMIN": 12, "CAP_NET_RAW": 13,
	"CAP_IPC_LOCK": 14, "CAP_IPC_OWNER": 15, "CAP_SYS_MODULE": 16, "CAP_SYS_RAWIO": 17, "CAP_SYS_CHROOT": 18,
	"CAP_SYS_PTRACE": 19, "CAP_SYS_PACCT": 20, "CAP_SYS_ADMIN": 21, "CAP_SYS_BOOT": 22, "CAP_SYS_NICE": 23,
	"CAP_SYS_RESOURCE": 24, "CAP_SYS_TIME": 25, "CAP_SYS_TTY_CONFIG": 26, "CAP_MKNOD": 27, "CAP_LEASE": 28,
	"CAP_AUDIT_WRITE": 29, "CAP_AUDIT_CONTROL": 30, "CAP_SETFCAP": 31, "CAP_MAC_OVERRIDE": 32,
	"CAP_MAC_ADMIN": 33, "CAP_SYSLOG": 34, "CAP_WAKE_ALARM": 35, "CAP_BLOCK_SUSPEND": 36,
	"CAP_AUDIT_READ": 37, "CAP_PERFMON": 38, "CAP_BPF": 39, "CAP_CHECKPOINT_RESTORE": 40,
}

func boundingSet() (uint64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "CapBnd:") {
			return strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "CapBnd:")), 16, 64)
		}
	}
	return 0, fmt.Errorf("no CapBnd in /proc/self/status")
}

// flagValue finds `--long X`, `--long=X` or `-short X` in args ("" when absent).
func flagValue(args []string, long, short string) string {
	for i, a := range args {
		switch {
		case (a == long || a == short) && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, long+"="):
			return strings.TrimPrefix(a, long+"=")
		}
	}
	return ""
}

// bundleDir is `--bundle`/`-b` of create/run (default: cwd).
func bundleDir(args []string) string {
	if d := flagValue(args, "--bundle", "-b"); d != "" {
		return d
	}
	return "."
}

func subcommand(args []string) string {
	// Global flags come first; those that take a value are skipped with it.
	withValue := map[string]bool{"--root": true, "--log": true, "--log-format": true, "--criu": true, "--rootless": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if withValue[a] {
				i++
			}
			continue
		}
		return a
	}
	return ""
}

// processFile is `--process`/`-p` of `runc exec` ("" when the process is given inline).
func processFile(args []string) string {
	return flagValue(args, "--process", "-p")
}

// dropMissing edits a container's config.json (the capabilities under "process") or, with
// inProcess, an exec process file (the capabilities at the top level).
func dropMissing(file string, inProcess bool, bnd uint64) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var spec map[string]any
	if err := json.Unmarshal(data, &spec); err != nil {
		return err
	}
	process := spec
	if !inProcess {
		process, _ = spec["process"].(map[string]any)
	}
	if process == nil {
		return nil
	}
	changed := false
	if adj, ok := process["oomScoreAdj"].(float64); ok && bnd&(1<<capBits["CAP_SYS_RESOURCE"]) == 0 {
		if cur, err := currentOOMScoreAdj(); err == nil && int(adj) < cur {
			process["oomScoreAdj"] = cur
			changed = true
		}
	}
	caps, _ := process["capabilities"].(map[string]any)
	for set, list := range caps {
		names, _ := list.([]any)
		kept := make([]any, 0, len(names))
		for _, n := range names {
			s, _ := n.(string)
			if bit, known := capBits[s]; known && bnd&(1<<bit) == 0 {
				changed = true
				continue
			}
			kept = append(kept, n)
		}
		caps[set] = kept
	}
	if !changed {
		return nil
	}
	out, err := json.Marshal(spec)
	if err != nil {
		return err
	}
	info, err := os.Stat(file)
	if err != nil {
		return err
	}
	return os.WriteFile(file, out, info.Mode().Perm())
}

func currentOOMScoreAdj() (int, error) {
	data, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

func main() {
	real := os.Getenv("KOKPIT_REAL_RUNC")
	if real == "" {
		real = "/usr/sbin/runc"
	}
	args := os.Args[1:]
	sub := subcommand(args)
	file, inProcess := "", false
	switch sub {
	case "create", "run":
		file = filepath.Join(bundleDir(args), "config.json")
	case "exec":
		// `docker exec` into a privileged container asks for every capability too.
		file, inProcess = processFile(args), true
	}
	if file != "" {
		bnd, err := boundingSet()
		if err == nil {
			err = dropMissing(file, inProcess, bnd)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "runc-capdrop: %v\n", err)
			os.Exit(1)
		}
	}
	if err := syscall.Exec(real, append([]string{real}, args...), os.Environ()); err != nil {
		fmt.Fprintf(os.Stderr, "runc-capdrop: exec %s: %v\n", real, err)
		os.Exit(127)
	}
}
