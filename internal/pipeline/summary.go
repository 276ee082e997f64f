package pipeline

import (
	"fmt"
	"sort"
	"strings"
)

// Summary prints counts per status, the failed cells with their reasons,
// and the unavailable toolchains with how to get them.
func Summary(cfg Config, rep *Report) {
	if cfg.Log == nil {
		return
	}
	counts := map[string]int{}
	var failed []string
	unavailable := map[string]bool{}
	smoke := map[string]int{}
	var compiled, restored, upToDate, packed int
	for _, j := range rep.Jobs {
		status := j.Status
		if r := rep.Results[j.Cell.String()]; r != nil {
			status = StatusBuilt
			switch {
			case r.Compiled:
				compiled++
			case r.Restored:
				restored++
			case r.UpToDate:
				upToDate++
			}
			if r.Err == nil && !r.Reused {
				packed++
			}
			if r.Err != nil {
				status = StatusFailed
				failed = append(failed, fmt.Sprintf("  %s: %s", j.Cell, firstLine(r.Err.Error())))
			} else if r.Smoke.Status != "" {
				smoke[r.Smoke.Status]++
				if r.Smoke.Status == "fail" {
					failed = append(failed, fmt.Sprintf("  %s: smoke run: %s", j.Cell, firstLine(r.Smoke.Reason)))
				}
			}
		}
		if j.Status == StatusUnavailable {
			unavailable[fmt.Sprintf("  %s for %s: %s", j.Cell.Toolchain, j.Cell.Platform, j.Reason)] = true
		}
		counts[status]++
	}
	fmt.Fprintf(cfg.Log, "cells: %d built, %d failed, %d not applicable, %d unavailable",
		counts[StatusBuilt], counts[StatusFailed], counts[StatusNotApplicable], counts[StatusUnavailable])
	if len(smoke) > 0 {
		fmt.Fprintf(cfg.Log, "; smoke runs: %d passed, %d failed, %d skipped", smoke["pass"], smoke["fail"], smoke["skipped"])
	}
	fmt.Fprintln(cfg.Log)
	fmt.Fprintf(cfg.Log, "binaries: %d compiled, %d restored from the cache, %d up to date; images: %d packed, %d unchanged\n",
		compiled, restored, upToDate, packed, counts[StatusBuilt]-packed)
	if len(unavailable) > 0 {
		lines := make([]string, 0, len(unavailable))
		for l := range unavailable {
			lines = append(lines, l)
		}
		sort.Strings(lines)
		fmt.Fprintf(cfg.Log, "unavailable toolchains (their cells were not built):\n%s\n", strings.Join(lines, "\n"))
	}
	if len(failed) > 0 {
		fmt.Fprintf(cfg.Log, "failed:\n%s\n", strings.Join(failed, "\n"))
	}
	fmt.Fprintf(cfg.Log, "outputs: %s/{bin,docker,oci}, matrix: %s/matrix.{md,json,csv,svg}\n", rel(cfg, cfg.OutDir), rel(cfg, cfg.OutDir))
}
