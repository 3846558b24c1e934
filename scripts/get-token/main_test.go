package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/tenantrouting/alb-jwt-tenant-routing/internal/cognitolocal/cltest"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/fakeaws"
	"github.com/tenantrouting/alb-jwt-tenant-routing/scripts/internal/passwords"
)

const alicePW = "Alice-Passw0rd-Secret!"

func createUser(t *testing.T, fx *cltest.Fixture, user, group, password string, permanent bool) {
	t.Helper()
	ctx := context.Background()
	pool := aws.String(fx.PoolID)
	if _, err := fx.Client.AdminCreateUser(ctx, &cip.AdminCreateUserInput{UserPoolId: pool, Username: aws.String(user),
		MessageAction: ciptypes.MessageActionTypeSuppress, TemporaryPassword: aws.String(password),
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(user + "@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.Client.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{UserPoolId: pool, Username: aws.String(user), GroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if permanent {
		if _, err := fx.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: pool, Username: aws.String(user), Password: aws.String(password), Permanent: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestGetToken(t *testing.T) {
	fx := cltest.New(t, "tenant-A")
	createUser(t, fx, "alice", "tenant-A", alicePW, true)
	createUser(t, fx, "newbie", "tenant-A", "Temp-Passw0rd-Secret!", false)
	cltest.Env(t)
	fake := fakeaws.New(t, fakeaws.Options{CognitoUpstream: fx.Server.URL(), Stacks: map[string]map[string]string{
		"TestStack": {"UserPoolClientId": fx.ClientID}, "NoClient": {"UserPoolId": fx.PoolID},
	}})
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", fake.URL)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw.json")
	if err := passwords.Save(pwFile, passwords.File{"alice": alicePW}); err != nil {
		t.Fatal(err)
	}
	loose := filepath.Join(dir, "loose.json")
	_ = os.WriteFile(loose, []byte(`{"alice":"`+alicePW+`"}`), 0o600)
	_ = os.Chmod(loose, 0o644)

	envWith := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	local := []string{"--endpoint", fx.Server.URL(), "--client-id", fx.ClientID}
	tests := []struct {
		name       string
		args       []string
		env        func(string) string
		stdin      string
		setEnv     map[string]string
		wantCode   int
		wantClaims map[string]any
		wantErr    string
	}{
		{name: "access token, password from COGNITO_PASSWORD", args: append([]string{"--username", "alice"}, local...),
			env: envWith("COGNITO_PASSWORD", alicePW), wantClaims: map[string]any{"token_use": "access", "client_id": fx.ClientID, "username": "alice"}},
		{name: "id token, password from stdin", args: append([]string{"--username", "alice", "--token", "id", "--password-stdin"}, local...),
			stdin: alicePW + "\n", wantClaims: map[string]any{"token_use": "id", "aud": fx.ClientID, "cognito:username": "alice"}},
		{name: "passwords file", args: append([]string{"--username", "alice", "--passwords-file", pwFile}, local...),
			wantClaims: map[string]any{"token_use": "access"}},
		{name: "custom password env", args: append([]string{"--username", "alice", "--password-env", "MY_PW"}, local...),
			env: envWith("MY_PW", alicePW), wantClaims: map[string]any{"token_use": "access"}},
		{name: "client id from the stack, endpoint from AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
			args:   []string{"--username", "alice", "--stack", "TestStack"},
			setEnv: map[string]string{"AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER": fx.Server.URL()},
			env:    envWith("COGNITO_PASSWORD", alicePW), wantClaims: map[string]any{"client_id": fx.ClientID}},
		{name: "stack without client output", args: []string{"--username", "alice", "--stack", "NoClient", "--endpoint", fx.Server.URL()},
			env: envWith("COGNITO_PASSWORD", alicePW), wantCode: 1, wantErr: `stack NoClient has no output "UserPoolClientId"`},
		{name: "wrong password", args: append([]string{"--username", "alice"}, local...),
			env: envWith("COGNITO_PASSWORD", "Wrong-Passw0rd-Guess!"), wantCode: 1, wantErr: "sign in alice"},
		{name: "user still has a temporary password", args: append([]string{"--username", "newbie"}, local...),
			env: envWith("COGNITO_PASSWORD", "Temp-Passw0rd-Secret!"), wantCode: 1, wantErr: "challenge NEW_PASSWORD_REQUIRED"},
		{name: "user missing from passwords file", args: append([]string{"--username", "bob", "--passwords-file", pwFile}, local...),
			wantCode: 1, wantErr: `no password for "bob"`},
		{name: "loose passwords file", args: append([]string{"--username", "alice", "--passwords-file", loose}, local...),
			wantCode: 1, wantErr: "must not be accessible by group or others"},
		{name: "no password", args: append([]string{"--username", "alice"}, local...), wantCode: 1, wantErr: "no password: set COGNITO_PASSWORD"},
		{name: "empty stdin", args: append([]string{"--username", "alice", "--password-stdin"}, local...), wantCode: 1, wantErr: "empty password on stdin"},
		{name: "missing username", args: local, wantCode: 2, wantErr: "--username is required"},
		{name: "bad token kind", args: append([]string{"--username", "alice", "--token", "refresh"}, local...), wantCode: 2, wantErr: "--token must be access or id"},
		{name: "password as argument", args: append([]string{"--username", "alice", alicePW}, local...), wantCode: 2, wantErr: "unexpected arguments"},
		{name: "two password sources", args: append([]string{"--username", "alice", "--password-stdin", "--passwords-file", pwFile}, local...), wantCode: 2, wantErr: "not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.setEnv {
				t.Setenv(k, v)
			}
			if tt.env == nil {
				tt.env = envWith()
			}
			var out, errb bytes.Buffer
			code := run(context.Background(), tt.args, tt.env, strings.NewReader(tt.stdin), &out, &errb)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, errb.String())
			}
			for _, secret := range []string{alicePW, "Wrong-Passw0rd-Guess!", "Temp-Passw0rd-Secret!"} {
				if strings.Contains(errb.String(), secret) {
					t.Fatal("stderr contains a password")
				}
			}
			if tt.wantCode != 0 {
				if out.Len() != 0 {
					t.Errorf("stdout not empty on failure")
				}
				if !strings.Contains(errb.String(), tt.wantErr) {
					t.Errorf("stderr %q lacks %q", errb.String(), tt.wantErr)
				}
				return
			}
			s := out.String()
			if strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") || errb.Len() != 0 {
				t.Fatalf("stdout must be exactly the token and a newline; stderr %q", errb.String())
			}
			c := cltest.Claims(t, strings.TrimSuffix(s, "\n"))
			for k, v := range tt.wantClaims {
				if c[k] != v {
					t.Errorf("claim %s = %v, want %v", k, c[k], v)
				}
			}
			if !slices.Contains(cltest.Groups(c), "tenant-A") {
				t.Errorf("cognito:groups = %v", c["cognito:groups"])
			}
		})
	}
}
