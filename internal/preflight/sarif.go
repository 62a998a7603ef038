package preflight

import (
	"net/url"
	"path/filepath"
	"strings"
)

// SARIF 2.1.0 types, only the parts upshift writes.
type (
	// SARIFLog is a SARIF 2.1.0 log with one run.
	SARIFLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []SARIFRun `json:"runs"`
	}
	// SARIFRun is one run of one tool.
	SARIFRun struct {
		Tool    SARIFTool     `json:"tool"`
		Results []SARIFResult `json:"results"`
	}
	// SARIFTool names the tool and its rules.
	SARIFTool struct {
		Driver SARIFDriver `json:"driver"`
	}
	// SARIFDriver is the tool's driver component.
	SARIFDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []SARIFRule `json:"rules"`
	}
	// SARIFRule describes one check.
	SARIFRule struct {
		ID                   string             `json:"id"`
		ShortDescription     SARIFMessage       `json:"shortDescription"`
		DefaultConfiguration SARIFConfiguration `json:"defaultConfiguration"`
	}
	// SARIFConfiguration holds a rule's default level.
	SARIFConfiguration struct {
		Level string `json:"level"`
	}
	// SARIFMessage is plain text.
	SARIFMessage struct {
		Text string `json:"text"`
	}
	// SARIFResult is one finding.
	SARIFResult struct {
		RuleID     string          `json:"ruleId"`
		RuleIndex  int             `json:"ruleIndex"`
		Level      string          `json:"level"`
		Message    SARIFMessage    `json:"message"`
		Locations  []SARIFLocation `json:"locations,omitempty"`
		Properties map[string]any  `json:"properties,omitempty"`
	}
	// SARIFLocation is a file position or a logical name.
	SARIFLocation struct {
		PhysicalLocation *SARIFPhysicalLocation `json:"physicalLocation,omitempty"`
		LogicalLocations []SARIFLogicalLocation `json:"logicalLocations,omitempty"`
	}
	// SARIFPhysicalLocation is a file and a region in it.
	SARIFPhysicalLocation struct {
		ArtifactLocation SARIFArtifactLocation `json:"artifactLocation"`
		Region           *SARIFRegion          `json:"region,omitempty"`
	}
	// SARIFArtifactLocation is a file URI.
	SARIFArtifactLocation struct {
		URI string `json:"uri"`
	}
	// SARIFRegion is a line.
	SARIFRegion struct {
		StartLine int `json:"startLine"`
	}
	// SARIFLogicalLocation names a Kubernetes object.
	SARIFLogicalLocation struct {
		Name               string `json:"name,omitempty"`
		FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
		Kind               string `json:"kind,omitempty"`
	}
)

// SARIFLevel maps a severity to a SARIF level.
func SARIFLevel(s Severity) string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "note"
}

// SARIF renders the report as a minimal valid SARIF 2.1.0 log: one rule per
// check, one result per finding with ruleId = check id, level from the
// severity, a physical location per file source (path and line) and a
// logical location naming the object.
func (r Report) SARIF(toolVersion string) SARIFLog {
	driver := SARIFDriver{Name: "upshift preflight", Version: toolVersion, InformationURI: "https://upshift.dev/docs/preflight"}
	index := map[string]int{}
	for _, c := range Checks() {
		index[c.ID] = len(driver.Rules)
		driver.Rules = append(driver.Rules, SARIFRule{
			ID: c.ID, ShortDescription: SARIFMessage{Text: c.Summary},
			DefaultConfiguration: SARIFConfiguration{Level: SARIFLevel(c.Severity)},
		})
	}
	run := SARIFRun{Tool: SARIFTool{Driver: driver}, Results: []SARIFResult{}}
	for _, f := range r.Findings {
		res := SARIFResult{
			RuleID: f.Check, RuleIndex: index[f.Check], Level: SARIFLevel(f.Severity),
			Message:    SARIFMessage{Text: f.Message + ". Fix: " + f.Fix},
			Properties: map[string]any{"sources": f.Sources, "targetVersion": r.TargetVersion},
		}
		var logical []SARIFLogicalLocation
		if f.Object.Kind != "" || f.Object.Name != "" {
			logical = []SARIFLogicalLocation{{Name: f.Object.Name, FullyQualifiedName: f.Object.String(), Kind: "resource"}}
		}
		for _, l := range f.Locations {
			loc := SARIFLocation{PhysicalLocation: &SARIFPhysicalLocation{ArtifactLocation: SARIFArtifactLocation{URI: fileURI(l.Path)}}, LogicalLocations: logical}
			if l.Line > 0 {
				loc.PhysicalLocation.Region = &SARIFRegion{StartLine: l.Line}
			}
			res.Locations = append(res.Locations, loc)
		}
		if len(res.Locations) == 0 && logical != nil {
			res.Locations = []SARIFLocation{{LogicalLocations: logical}}
		}
		run.Results = append(run.Results, res)
	}
	return SARIFLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []SARIFRun{run}}
}

// fileURI renders a path as a URI reference: relative paths stay relative
// (SARIF viewers resolve them against the repository), absolute ones get
// the file scheme.
func fileURI(p string) string {
	p = filepath.ToSlash(p)
	u := url.URL{Path: p}
	if strings.HasPrefix(p, "/") {
		u.Scheme = "file"
	}
	return u.String()
}
