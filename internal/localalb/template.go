package localalb

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Template is a synthesized CloudFormation template as written: the one
// reader of templates for other packages (local mode reads the Cognito
// resources with it). Intrinsic functions are not evaluated.
type Template struct {
	tpl *cfnTemplate
}

// ReadTemplate parses a synthesized template (JSON).
func ReadTemplate(templateJSON []byte) (*Template, error) {
	tpl, err := parseTemplate(templateJSON)
	if err != nil {
		return nil, err
	}
	return &Template{tpl: tpl}, nil
}

// Resource is one resource of a Template.
type Resource struct {
	LogicalID string
	Type      string
	raw       cfnResource
}

// Resources returns the resources of type typ (e.g. AWS::Cognito::UserPool),
// sorted by logical id.
func (t *Template) Resources(typ string) []Resource {
	var out []Resource
	for id, res := range t.tpl.Resources {
		if res.Type == typ {
			out = append(out, Resource{LogicalID: id, Type: res.Type, raw: res})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// DecodeProperties decodes the resource's Properties into v as
// encoding/json would decode the template's JSON (numbers into numeric
// fields, intrinsic functions as objects).
func (r Resource) DecodeProperties(v any) error {
	b, err := json.Marshal(r.raw.Properties)
	if err != nil {
		return fmt.Errorf("resource %s (%s): %w", r.LogicalID, r.Type, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("resource %s (%s): %w", r.LogicalID, r.Type, err)
	}
	return nil
}
