package localalb

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Values that flow between the stacks of a cloud assembly: Fn::ImportValue
// (strong references: exports) and Fn::GetStackOutput (CDK's weak
// references: outputs read by stack name, no export). Nested-stack
// Parameters and Fn::GetAtt [Nested, Outputs.X] are in assembly.go.

// getStackOutputKeys are the keys of Fn::GetStackOutput's argument
// (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html).
var getStackOutputKeys = map[string]bool{"StackName": true, "OutputName": true, "Region": true, "RoleArn": true}

// getStackOutput evaluates {"Fn::GetStackOutput": {"StackName", "OutputName",
// "Region"?, "RoleArn"?}}: StackName must name a stack of the cloud assembly
// and OutputName one of its Outputs, evaluated in that stack. Region
// (default: the current stack's) must be the local region: the assembly is
// one region. RoleArn (another account's role) is an error: cross-account
// reads are not emulated.
func (rv *resolver) getStackOutput(arg any) (any, error) {
	m, ok := arg.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Fn::GetStackOutput: argument must be an object with StackName, OutputName and Region, got %s", describe(arg))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !getStackOutputKeys[k] {
			return nil, fmt.Errorf("Fn::GetStackOutput: unknown key %s (StackName, OutputName, Region, RoleArn)", k)
		}
	}
	if _, ok := m["RoleArn"]; ok {
		return nil, errors.New("Fn::GetStackOutput: RoleArn: a cross-account reference is not emulated (local mode has one account); remove RoleArn")
	}
	str := func(key string, required bool) (string, error) {
		v, ok := m[key]
		if !ok {
			if required {
				return "", fmt.Errorf("Fn::GetStackOutput: %s: required", key)
			}
			return "", nil
		}
		s, err := rv.resolveString(v)
		if err == nil && s == "" {
			err = errors.New("empty")
		}
		if err != nil {
			return "", fmt.Errorf("Fn::GetStackOutput: %s: %w", key, err)
		}
		return s, nil
	}
	stack, err := str("StackName", true)
	if err != nil {
		return nil, err
	}
	output, err := str("OutputName", true)
	if err != nil {
		return nil, err
	}
	region, err := str("Region", false)
	if err != nil {
		return nil, err
	}
	if region != "" && region != rv.r.Region {
		return nil, fmt.Errorf("Fn::GetStackOutput: Region %q: a cross-region reference is not emulated (the local region is %s)", region, rv.r.Region)
	}
	if rv.stackOutputs == nil {
		return nil, errors.New("unsupported intrinsic function Fn::GetStackOutput (load the cloud assembly: LoadAssembly)")
	}
	return rv.stackOutputs(stack, output)
}

// stackOutput resolves Fn::GetStackOutput once its arguments are known: the
// output of a stack of the assembly, evaluated in that stack.
func (a *asmLoader) stackOutput(stackName, output string) (any, error) {
	st := a.stacks[stackName]
	if st == nil {
		names := make([]string, 0, len(a.stacks))
		for n := range a.stacks {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("Fn::GetStackOutput: StackName %q is not a stack of the cloud assembly (%s)", stackName, strings.Join(names, ", "))
	}
	out, ok := st.tpl.Outputs[output]
	if !ok {
		return nil, fmt.Errorf("Fn::GetStackOutput: OutputName %q: stack %s has no such output", output, stackName)
	}
	key := "Fn::GetStackOutput " + stackName + "." + output
	if a.importing[key] {
		return nil, fmt.Errorf("Fn::GetStackOutput %s.%s refers to itself", stackName, output)
	}
	a.importing[key] = true
	defer delete(a.importing, key)
	if out.Condition != "" {
		ok, err := st.rv.condition(out.Condition)
		if err != nil {
			return nil, fmt.Errorf("Fn::GetStackOutput: stack %s: output %s: %w", stackName, output, err)
		}
		if !ok {
			return nil, fmt.Errorf("Fn::GetStackOutput: stack %s: output %s is not created (condition %s is false)", stackName, output, out.Condition)
		}
	}
	v, err := st.rv.resolve(out.Value)
	if err != nil {
		return nil, fmt.Errorf("Fn::GetStackOutput: stack %s: output %s: %w", stackName, output, err)
	}
	return v, nil
}

// importValue resolves Fn::ImportValue: the output of another stack whose
// Export Name is name, evaluated in that stack.
func (a *asmLoader) importValue(name string) (any, error) {
	if a.exports == nil {
		a.exports = map[string]exportRef{}
		for _, st := range a.stacks {
			st.walk(func(s *asmStack) {
				for key, out := range s.tpl.Outputs {
					if out.Export == nil {
						continue
					}
					if n, err := s.rv.resolveString(out.Export.Name); err == nil {
						a.exports[n] = exportRef{s, key}
					}
				}
			})
		}
	}
	ref, ok := a.exports[name]
	if !ok {
		return nil, fmt.Errorf("Fn::ImportValue %q: no stack of the cloud assembly exports it", name)
	}
	if a.importing[name] {
		return nil, fmt.Errorf("Fn::ImportValue %q refers to itself", name)
	}
	a.importing[name] = true
	defer delete(a.importing, name)
	v, err := ref.stack.rv.resolve(ref.stack.tpl.Outputs[ref.key].Value)
	if err != nil {
		return nil, fmt.Errorf("Fn::ImportValue %q: stack %s: output %s: %w", name, ref.stack.name, ref.key, err)
	}
	return v, nil
}
