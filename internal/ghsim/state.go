package ghsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/firebreak-dev/firebreak/internal/fsutil"
)

// State is a simulator's starting point, as `firebreak gh sim --state FILE`
// reads it:
//
//	{"token": "ghp_…",
//	 "repos": [{"name": "org/signing",
//	            "workflows_dir": "path/to/.github/workflows",
//	            "workflows": {"release.yml": "name: release\n…"},
//	            "disabled": ["old.yml"],
//	            "runs": [{"workflow": "release.yml", "status": "in_progress", "actor": "ci-bot"}],
//	            "secrets": ["SIGNING_PRIVATE_KEY"],
//	            "environments": {"production": ["PROD_SIGNING_KEY"]}}]}
type State struct {
	Token string      `json:"token"`
	Repos []RepoState `json:"repos"`
}

// RepoState seeds one repository.
type RepoState struct {
	Name         string              `json:"name"`
	WorkflowsDir string              `json:"workflows_dir"`
	Workflows    map[string]string   `json:"workflows"`
	Disabled     []string            `json:"disabled"`
	Runs         []RunState          `json:"runs"`
	Secrets      []string            `json:"secrets"`
	Environments map[string][]string `json:"environments"`
}

// RunState seeds one run.
type RunState struct {
	Workflow string `json:"workflow"`
	Status   string `json:"status"`
	Actor    string `json:"actor"`
}

// LoadState reads a state file; relative workflows_dir paths are relative
// to the file.
func LoadState(path string) (*State, error) {
	b, err := fsutil.ReadRegular(path, 64<<20)
	if err != nil {
		return nil, err
	}
	var st State
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i := range st.Repos {
		if d := st.Repos[i].WorkflowsDir; d != "" && !filepath.IsAbs(d) {
			st.Repos[i].WorkflowsDir = filepath.Join(filepath.Dir(path), d)
		}
	}
	return &st, nil
}

// Apply seeds the simulator.
func (s *Sim) Apply(st *State) error {
	for _, r := range st.Repos {
		if r.Name == "" {
			return fmt.Errorf("a repository without a name")
		}
		s.AddRepo(r.Name)
		ids := map[string]int64{}
		if r.WorkflowsDir != "" {
			files, _ := filepath.Glob(filepath.Join(r.WorkflowsDir, "*.y*ml"))
			for _, f := range files {
				b, err := fsutil.ReadRegular(f, 1<<20)
				if err != nil {
					return err
				}
				ids[filepath.Base(f)] = s.AddWorkflow(r.Name, filepath.Base(f), b)
			}
		}
		for _, f := range sortedNames(r.Workflows) {
			ids[f] = s.AddWorkflow(r.Name, f, []byte(r.Workflows[f]))
		}
		for _, f := range r.Disabled {
			id, ok := ids[f]
			if !ok {
				return fmt.Errorf("%s: no workflow %s to disable", r.Name, f)
			}
			s.SetWorkflowState(r.Name, id, "disabled_manually")
		}
		for _, run := range r.Runs {
			id, ok := ids[run.Workflow]
			if !ok {
				return fmt.Errorf("%s: no workflow %s for a run", r.Name, run.Workflow)
			}
			st, actor := run.Status, run.Actor
			if st == "" {
				st = "completed"
			}
			if actor == "" {
				actor = "ci-bot"
			}
			s.AddRun(r.Name, id, st, actor)
		}
		for _, n := range r.Secrets {
			s.AddSecret(r.Name, "", n, []byte("simulated"))
		}
		for env, names := range r.Environments {
			s.AddEnvironment(r.Name, env)
			for _, n := range names {
				s.AddSecret(r.Name, env, n, []byte("simulated"))
			}
		}
	}
	return nil
}
