package main

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const dashboardPath = "../../examples/grafana/carpd.json"

// servedNames is every metric name /metrics can serve: the status
// collector's descriptors, and what the registry's other collectors
// (process, Go) gather.
func servedNames(t *testing.T) []string {
	t.Helper()
	names := descNames(t)
	mfs, err := newRegistry(fakeStatus, "test").Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if !slices.Contains(names, mf.GetName()) {
			names = append(names, mf.GetName())
		}
	}
	return names
}

var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promBraces   = regexp.MustCompile(`\{[^}]*\}`)
	promBrackets = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promVars     = regexp.MustCompile(`\$\{?\w+\}?`)
	promIdent    = regexp.MustCompile(`[a-zA-Z0-9_:.]+`)
	promKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool",
		"and", "or", "unless", "offset", "inf", "nan", "atan2"}
	labelValues = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
)

// promMetrics returns the metric names a PromQL expression selects: the
// identifiers left once strings, label matchers, ranges, by (...) clauses
// and Grafana variables are gone, that are neither functions nor keywords.
func promMetrics(expr string) []string {
	e := promStrings.ReplaceAllString(expr, `""`)
	e = promBraces.ReplaceAllString(e, " ")
	e = promBrackets.ReplaceAllString(e, " ")
	e = promGrouping.ReplaceAllString(e, " ")
	e = promVars.ReplaceAllString(e, " ")
	var out []string
	for _, loc := range promIdent.FindAllStringIndex(e, -1) {
		word := e[loc[0]:loc[1]]
		switch {
		case word[0] >= '0' && word[0] <= '9' || word[0] == '.':
			continue // a number or a duration
		case strings.HasPrefix(strings.TrimLeft(e[loc[1]:], " \t\n"), "("):
			continue // a function or an aggregation
		case slices.Contains(promKeywords, strings.ToLower(word)):
			continue
		}
		out = append(out, word)
	}
	return out
}

func TestPromMetrics(t *testing.T) {
	require.Equal(t, []string{"carp_x_total"},
		promMetrics(`sum by (reason) (rate(carp_x_total{instance=~"$instance", a="b(c)"}[$__rate_interval])) > 0`))
	require.Equal(t, []string{"a", "b"}, promMetrics(`time() - (a > 0) / on (x) group_left b offset 5m`))
	require.Equal(t, []string{"carp_state"}, promMetrics(`sum by (interface, vhid) (carp_state{job="x"} == bool 2)`))
}

// TestDashboard: every metric the Grafana dashboard's queries and
// variables use is one carpd serves, so that renaming a metric breaks
// this test, not the dashboard; and it shows what issue 8 asks for.
func TestDashboard(t *testing.T) {
	b, err := os.ReadFile(dashboardPath)
	require.NoError(t, err)
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Query struct {
					Query string `json:"query"`
				} `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(b, &dash))
	served := servedNames(t)
	used := map[string]bool{}
	for _, p := range dash.Panels {
		require.NotEmpty(t, p.Targets, "panel %q has no query", p.Title)
		for _, tg := range p.Targets {
			ms := promMetrics(tg.Expr)
			require.NotEmpty(t, ms, "panel %q: no metric in %q", p.Title, tg.Expr)
			for _, m := range ms {
				require.Contains(t, served, m, "panel %q uses %s, which carpd does not serve (%q)", p.Title, m, tg.Expr)
				used[m] = true
			}
		}
	}
	require.NotEmpty(t, dash.Templating.List)
	for _, v := range dash.Templating.List {
		m := labelValues.FindStringSubmatch(v.Query.Query)
		require.NotNil(t, m, "variable %s: want label_values(METRIC..., LABEL), got %q", v.Name, v.Query.Query)
		require.Contains(t, served, m[1], "variable %s uses %s, which carpd does not serve", v.Name, m[1])
	}
	for _, m := range []string{"carp_state", "carp_transitions_total", "carp_rx_dropped_total", "carp_demotion"} {
		require.True(t, used[m], "the dashboard shows no %s", m)
	}
	var timeline bool
	for _, p := range dash.Panels {
		timeline = timeline || p.Type == "state-timeline"
	}
	require.True(t, timeline, "the state over time is a state-timeline panel")
}
