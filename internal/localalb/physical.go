package localalb

import (
	"fmt"
	"math/big"
	"strings"
)

// physicalID is the deterministic fake value of {"Ref": logicalID}.
func (rv *resolver) physicalID(id string, res cfnResource) string {
	h := rv.hash(id)
	p, reg, acct := rv.r.Partition, rv.r.Region, rv.r.AccountID
	switch res.Type {
	case typeTargetGroup:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:targetgroup/%s/%s", p, reg, acct, rv.elbName(id, res), h[:16])
	case typeLoadBalancer:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", p, reg, acct, rv.elbName(id, res), h[:16])
	case typeListener:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:listener/app/%s/%s", p, reg, acct, truncate(id, 32), h[:16])
	case typeListenerRule:
		return fmt.Sprintf("arn:%s:elasticloadbalancing:%s:%s:listener-rule/app/%s/%s", p, reg, acct, truncate(id, 32), h[:16])
	case typeFunction:
		return rv.functionName(id, res)
	case "AWS::Cognito::UserPool":
		return reg + "_" + rv.alnum(id, 9, false)
	case "AWS::Cognito::UserPoolClient":
		return rv.alnum(id, 26, false)
	case "AWS::CertificateManager::Certificate":
		return fmt.Sprintf("arn:%s:acm:%s:%s:certificate/%s", p, reg, acct, uuidFromHash(h))
	case "AWS::EC2::SecurityGroup":
		return "sg-" + h[:17]
	case "AWS::EC2::VPC":
		return "vpc-" + h[:17]
	case "AWS::EC2::Subnet":
		return "subnet-" + h[:17]
	case "AWS::IAM::Role":
		return truncate(rv.r.StackName+"-"+id, 64)
	default:
		return truncate(rv.r.StackName+"-"+id+"-"+strings.ToUpper(h[:12]), 128)
	}
}

// elbName is the Name property when it is a literal, else a name derived
// from the logical id (ELB names are at most 32 characters).
func (rv *resolver) elbName(id string, res cfnResource) string {
	if s, ok := res.Properties["Name"].(string); ok && s != "" {
		return s
	}
	return truncate(id, 32)
}

func (rv *resolver) functionName(id string, res cfnResource) string {
	if s, ok := res.Properties["FunctionName"].(string); ok && s != "" {
		return s
	}
	if rv.nested {
		// <stack>-<logical id>, at most 64 characters; when that is cut, a
		// hash of both keeps the names of two nested stacks apart (the
		// stack name is cut at 64 too, so what distinguishes them may be
		// cut away).
		name := rv.r.StackName + "-" + id
		if len(name) > 64 {
			name = name[:51] + "-" + strings.ToUpper(rv.hash(id)[:12])
		}
		return name
	}
	return id
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func uuidFromHash(h string) string {
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func (rv *resolver) getAtt(arg any) (any, error) {
	var id, attr string
	switch t := arg.(type) {
	case string:
		var ok bool
		id, attr, ok = strings.Cut(t, ".")
		if !ok {
			return nil, fmt.Errorf("Fn::GetAtt %q: want LogicalID.Attribute", t)
		}
	case []any:
		if len(t) != 2 {
			return nil, fmt.Errorf("Fn::GetAtt: want [LogicalID, Attribute], got %d elements", len(t))
		}
		a, err := rv.resolveString(t[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::GetAtt: logical id: %w", err)
		}
		b, err := rv.resolveString(t[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::GetAtt: attribute: %w", err)
		}
		id, attr = a, b
	default:
		return nil, fmt.Errorf("Fn::GetAtt: argument must be a list or string, got %s", describe(arg))
	}
	if v, ok := rv.r.Attrs[id+"."+attr]; ok {
		return v, nil
	}
	if out, ok := strings.CutPrefix(attr, "Outputs."); ok && rv.outputs != nil && rv.tpl.Resources[id].Type == typeNestedStack {
		return rv.outputs(id, out)
	}
	res, ok := rv.tpl.Resources[id]
	if !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	p, reg, acct := rv.r.Partition, rv.r.Region, rv.r.AccountID
	refStr := func() (string, error) {
		v, err := rv.ref(id)
		if err != nil {
			return "", err
		}
		return scalarString(v)
	}
	switch res.Type + "." + attr {
	case typeFunction + ".Arn":
		name, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, reg, acct, name), nil
	case typeTargetGroup + ".TargetGroupArn", typeLoadBalancer + ".LoadBalancerArn", typeListener + ".ListenerArn",
		typeListenerRule + ".RuleArn", "AWS::Cognito::UserPool.UserPoolId", "AWS::Cognito::UserPoolClient.ClientId":
		return refStr()
	case typeTargetGroup + ".TargetGroupName", typeLoadBalancer + ".LoadBalancerName":
		return rv.elbName(id, res), nil
	case typeTargetGroup + ".TargetGroupFullName":
		arn, err := refStr()
		if err != nil {
			return nil, err
		}
		return arn[strings.Index(arn, "targetgroup/"):], nil
	case typeLoadBalancer + ".LoadBalancerFullName":
		arn, err := refStr()
		if err != nil {
			return nil, err
		}
		return arn[strings.Index(arn, "app/"):], nil
	case typeLoadBalancer + ".DNSName":
		n := new(big.Int).SetBytes([]byte(rv.hash(id)[:8])).Int64() % 1000000000
		return fmt.Sprintf("%s-%d.%s.elb.%s", strings.ToLower(rv.elbName(id, res)), n, reg, rv.r.urlSuffix()), nil
	case typeLoadBalancer + ".CanonicalHostedZoneID":
		return "Z35SXDOTRQ7X7K", nil
	case typeListenerRule + ".IsDefault":
		return "false", nil
	case "AWS::Cognito::UserPool.ProviderName":
		pool, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("cognito-idp.%s.%s/%s", reg, rv.r.urlSuffix(), pool), nil
	case "AWS::Cognito::UserPool.ProviderURL":
		pool, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("https://cognito-idp.%s.%s/%s", reg, rv.r.urlSuffix(), pool), nil
	case "AWS::Cognito::UserPool.Arn":
		pool, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:cognito-idp:%s:%s:userpool/%s", p, reg, acct, pool), nil
	case "AWS::IAM::Role.Arn":
		name, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:iam::%s:role/%s", p, acct, name), nil
	case "AWS::Logs::LogGroup.Arn":
		name, err := refStr()
		if err != nil {
			return nil, err
		}
		return fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s:*", p, reg, acct, name), nil
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s: attribute of %s is not emulated; set Resolver.Attrs[%q]",
		id, attr, res.Type, id+"."+attr)
}
