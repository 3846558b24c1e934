package localalb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/contract"
	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/tenants"
)

// Assembly is a cloud assembly (cdk.out) of a deployment with cells: the
// shared stack and one model per cell stack.
type Assembly struct {
	// SharedStack is the shared stack's name (Resolver.StackName).
	SharedStack string
	// Identity holds the shared stack's Cognito facts and, across all cell
	// stacks and their nested stacks, the tenant groups.
	Identity Identity
	// Cells are the cell stacks, numeric cell ids first (numerically), then
	// the others lexically.
	Cells []*Cell
}

// Cell is one cell stack: its ALB, listeners, rules, target groups and the
// functions of all its nested stacks, in one Model. Resources of a nested
// stack have the logical id "<NestedStackLogicalID>/<LogicalID>" in it.
type Cell struct {
	ID        string // the cell id (contract.CellFromStackName)
	StackName string
	Model     *Model
}

// cdk.out/manifest.json, the part LoadAssembly reads.
type assemblyManifest struct {
	Artifacts map[string]struct {
		Type        string `json:"type"`
		DisplayName string `json:"displayName"`
		Properties  struct {
			TemplateFile string `json:"templateFile"`
			StackName    string `json:"stackName"`
		} `json:"properties"`
	} `json:"artifacts"`
}

// Metadata key CDK sets on a nested stack resource: its template's file name
// in the cloud assembly directory.
const assetPathMetadata = "aws:asset:path"

// asmStack is one template of the assembly with its resolver: a stack, or a
// nested stack (parent set).
type asmStack struct {
	name     string // stack name; for a nested stack "<parent>/<logical id>"
	rv       *resolver
	tpl      *cfnTemplate
	parent   *asmStack
	prefix   string // logical-id prefix in the model
	children map[string]*asmStack
}

// asmLoader resolves values across the stacks of an assembly.
type asmLoader struct {
	dir       string
	r         Resolver // defaults applied
	stacks    map[string]*asmStack
	exports   map[string]exportRef
	importing map[string]bool // exports being evaluated (cycle guard)
}

type exportRef struct {
	stack *asmStack
	key   string
}

// LoadAssembly reads the cloud assembly directory dir (cdk.out): manifest.json
// lists the stacks and their template files; a nested stack resource
// (AWS::CloudFormation::Stack) names its template file in the same directory
// by its Metadata "aws:asset:path", and its Parameters are evaluated in the
// parent. Besides what LoadTemplate resolves, values flow through
// Fn::ImportValue (the Export names of the other stacks' Outputs, each
// evaluated in its own stack), Ref to a nested template's Parameter (the
// parent's value) and Fn::GetAtt [NestedStack, Outputs.X] (the nested
// template's output). r.StackName is the shared stack (default
// TenantRouting); the cell stacks are named contract.CellStackName(shared,
// cell). Each stack resolves pseudo parameters with its own name; r.Refs and
// r.Attrs apply in every template. Anything unsupported is a load-time error
// naming the stack, the resource and the field (*FieldError.Stack).
func LoadAssembly(dir string, r Resolver) (*Assembly, error) {
	a, err := readAssembly(dir, r)
	if err != nil {
		return nil, err
	}
	return loadAssembly(a)
}

// readAssembly reads the manifest and every stack's templates.
func readAssembly(dir string, r Resolver) (*asmLoader, error) {
	r = r.withDefaults()
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("cloud assembly: %w", err)
	}
	var man assemblyManifest
	if err := json.Unmarshal(raw, &man); err != nil {
		return nil, fmt.Errorf("cloud assembly: manifest.json: %w", err)
	}
	a := &asmLoader{dir: dir, r: r, stacks: map[string]*asmStack{}, importing: map[string]bool{}}
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(man.Artifacts)) {
		art := man.Artifacts[id]
		if art.Type != "aws:cloudformation:stack" {
			continue
		}
		name := art.Properties.StackName
		if name == "" {
			name = id
		}
		st, err := a.readStack(name, art.Properties.TemplateFile, nil, "")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.stacks[name] = st
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// loadAssembly builds the Assembly from the stacks read.
func loadAssembly(a *asmLoader) (*Assembly, error) {
	r, dir := a.r, a.dir
	var errs []error
	var err error
	shared := a.stacks[r.StackName]
	if shared == nil {
		return nil, fmt.Errorf("cloud assembly %s: no stack %s (the shared stack; set Resolver.StackName)", dir, r.StackName)
	}
	asm := &Assembly{SharedStack: r.StackName}
	if asm.Identity, err = a.identity(shared); err != nil {
		return nil, err
	}
	for name, st := range a.stacks {
		cell, ok := contract.CellFromStackName(r.StackName, name)
		if !ok {
			continue
		}
		var units []*unit
		st.walk(func(s *asmStack) {
			units = append(units, &unit{rv: s.rv, tpl: s.tpl, prefix: s.prefix, stack: s.name})
		})
		m, err := loadModel(st.rv.r, units)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		asm.Cells = append(asm.Cells, &Cell{ID: cell, StackName: name, Model: m})
		groups, err := a.groups(st)
		if err != nil {
			errs = append(errs, err)
		}
		asm.Identity.Groups = append(asm.Identity.Groups, groups...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(asm.Cells) == 0 {
		return nil, fmt.Errorf("cloud assembly %s: no cell stack (%s<cell>)", dir, contract.CellStackPrefix(r.StackName))
	}
	sort.Slice(asm.Cells, func(i, j int) bool { return tenants.CompareCellIDs(asm.Cells[i].ID, asm.Cells[j].ID) < 0 })
	sort.Strings(asm.Identity.Groups)
	return asm, nil
}

// walk visits s and its nested stacks, depth first in logical-id order.
func (s *asmStack) walk(f func(*asmStack)) {
	f(s)
	for _, id := range slices.Sorted(maps.Keys(s.children)) {
		s.children[id].walk(f)
	}
}

// readStack reads a template file and, recursively, its nested stacks.
func (a *asmLoader) readStack(name, file string, parent *asmStack, prefix string) (*asmStack, error) {
	if file == "" || filepath.Base(file) != file {
		return nil, fmt.Errorf("stack %s: template file %q is not a file name in the cloud assembly", name, file)
	}
	raw, err := os.ReadFile(filepath.Join(a.dir, file))
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", name, err)
	}
	tpl, err := parseTemplate(raw)
	if err != nil {
		return nil, fmt.Errorf("stack %s: %w", name, err)
	}
	st := &asmStack{name: name, tpl: tpl, parent: parent, prefix: prefix, children: map[string]*asmStack{}}
	r := a.r
	r.StackName = name
	if parent != nil {
		// A nested stack's name on AWS is <parent>-<logical id>-<suffix>.
		id := strings.TrimSuffix(prefix, "/")
		id = id[strings.LastIndex(id, "/")+1:]
		sum := sha256.Sum256([]byte(name))
		r.StackName = parent.rv.r.StackName + "-" + id + "-" + strings.ToUpper(hex.EncodeToString(sum[:])[:12])
	}
	st.rv = newResolver(r, tpl)
	st.rv.imports = a.importValue
	st.rv.outputs = st.nestedOutput
	st.rv.stackOutputs = a.stackOutput
	if parent != nil {
		st.rv.nested = true
		st.rv.params = parent.paramsOf(strings.TrimSuffix(prefix[len(parent.prefix):], "/"))
	}
	var errs []error
	for _, id := range slices.Sorted(maps.Keys(tpl.Resources)) {
		res := tpl.Resources[id]
		if res.Type != typeNestedStack {
			continue
		}
		if res.Condition != "" {
			if ok, err := st.rv.condition(res.Condition); err != nil || !ok {
				if err != nil {
					errs = append(errs, &FieldError{Stack: name, LogicalID: id, ResourceType: res.Type, Field: "Condition", Problem: err.Error()})
				}
				continue
			}
		}
		asset, _ := res.Metadata[assetPathMetadata].(string)
		if asset == "" {
			errs = append(errs, &FieldError{Stack: name, LogicalID: id, ResourceType: res.Type, Field: "Metadata." + assetPathMetadata,
				Problem: "required: the nested template's file in the cloud assembly"})
			continue
		}
		child, err := a.readStack(name+"/"+id, asset, st, prefix+id+"/")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		st.children[id] = child
	}
	return st, errors.Join(errs...)
}

// paramsOf returns the parameter values the nested stack resource id passes:
// its Properties.Parameters, evaluated in this (the parent) stack.
func (s *asmStack) paramsOf(id string) func(string) (any, bool, error) {
	return func(name string) (any, bool, error) {
		params, _ := s.tpl.Resources[id].Properties["Parameters"].(map[string]any)
		v, ok := params[name]
		if !ok {
			return nil, false, nil
		}
		r, err := s.rv.resolve(v)
		if err != nil {
			return nil, false, fmt.Errorf("stack %s: %s (%s): Parameters.%s: %w", s.name, id, typeNestedStack, name, err)
		}
		return r, true, nil
	}
}

// nestedOutput is Fn::GetAtt [id, Outputs.output] in stack s.
func (s *asmStack) nestedOutput(id, output string) (any, error) {
	child := s.children[id]
	if child == nil {
		return nil, fmt.Errorf("Fn::GetAtt %s.Outputs.%s: %s is not a nested stack of %s with a template", id, output, id, s.name)
	}
	out, ok := child.tpl.Outputs[output]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.Outputs.%s: the nested template has no output %s", id, output, output)
	}
	v, err := child.rv.resolve(out.Value)
	if err != nil {
		return nil, fmt.Errorf("stack %s: output %s: %w", child.name, output, err)
	}
	return v, nil
}
