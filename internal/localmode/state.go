package localmode

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
)

// State is written to <WorkDir>/state.json once the system is ready, so that
// scripts and tests can find every address without parsing the console.
// BaseURL and HTTPURL are the first cell's (the only one of a single-cell
// app); Cells has every cell.
type State struct {
	BaseURL       string      `json:"baseUrl"`
	HTTPURL       string      `json:"httpUrl"`
	CACert        string      `json:"caCert"`
	CognitoURL    string      `json:"cognitoUrl"`
	Region        string      `json:"region"`
	UserPoolID    string      `json:"userPoolId"`
	ClientID      string      `json:"clientId"`
	Issuer        string      `json:"issuer"`
	Tenants       []string    `json:"tenants"`
	UsersFile     string      `json:"usersFile"`
	PasswordsFile string      `json:"passwordsFile"`
	BinDir        string      `json:"binDir"`
	Assembly      string      `json:"assembly"` // the cloud assembly served (--assembly runs it again without synthesis)
	Cells         []CellState `json:"cells"`
	DirectoryTSV  string      `json:"directoryTsv"`  // tenant directory, smoke.sh --directory format
	DirectoryJSON string      `json:"directoryJson"` // the same as JSON
	LogsDir       string      `json:"logsDir"`       // one log file per child process
}

// CellState is one served cell in state.json and directory.json.
type CellState struct {
	Cell    string   `json:"cell"`
	Stack   string   `json:"stack"`
	BaseURL string   `json:"baseUrl"`
	HTTPURL string   `json:"httpUrl"`
	Tenants []string `json:"tenants"`
}

// Directory is .local/directory.json: the cells and where each tenant is.
type Directory struct {
	Cells   []CellState      `json:"cells"`
	Tenants []DirectoryEntry `json:"tenants"`
}

// DirectoryEntry is one tenant's place: its cell and its base URL there.
type DirectoryEntry struct {
	ID   string `json:"id"`
	Cell string `json:"cell"`
	URL  string `json:"url"`
}

func cellStates(cells []*Cell) []CellState {
	out := make([]CellState, 0, len(cells))
	for _, c := range cells {
		out = append(out, CellState{Cell: c.ID, Stack: c.StackName, BaseURL: c.BaseURL(), HTTPURL: c.HTTPURL(), Tenants: c.Tenants})
	}
	return out
}

// directoryOf builds the tenant directory of the cells, tenants in cell order.
func directoryOf(cells []CellState) Directory {
	d := Directory{Cells: cells, Tenants: []DirectoryEntry{}}
	for _, c := range cells {
		for _, t := range c.Tenants {
			d.Tenants = append(d.Tenants, DirectoryEntry{ID: t, Cell: c.Cell, URL: strings.TrimSuffix(c.BaseURL, "/") + contract.TenantPath(t)})
		}
	}
	return d
}

// directoryTSV is the directory in scripts/smoke.sh's --directory format:
// `<tenant>\t<cell>\t<baseUrl>\t<httpUrl>` per tenant, no header.
func directoryTSV(cells []CellState) string {
	var b strings.Builder
	for _, c := range cells {
		for _, t := range c.Tenants {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\n", t, c.Cell, c.BaseURL, c.HTTPURL)
		}
	}
	return b.String()
}

// writeDirectory writes directory.tsv and directory.json into dir and
// returns their paths.
func writeDirectory(dir string, cells []CellState) (tsvPath, jsonPath string, err error) {
	tsvPath, jsonPath = filepath.Join(dir, "directory.tsv"), filepath.Join(dir, "directory.json")
	if err := os.WriteFile(tsvPath, []byte(directoryTSV(cells)), 0o644); err != nil {
		return "", "", fmt.Errorf("write %s: %w", tsvPath, err)
	}
	if err := writeJSON(jsonPath, directoryOf(cells), 0o644); err != nil {
		return "", "", err
	}
	return tsvPath, jsonPath, nil
}

func writeJSON(path string, v any, mode os.FileMode) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	if err := os.WriteFile(path, append(b, '\n'), mode); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadState reads the state file a running local mode wrote.
func ReadState(workDir string) (State, error) {
	var st State
	b, err := os.ReadFile(filepath.Join(workDir, "state.json"))
	if err != nil {
		return st, fmt.Errorf("read local state (is `make local` running?): %w", err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("parse local state: %w", err)
	}
	return st, nil
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
