// Command bootstrap is the tenant Lambda behind the shared ALB. One function is
// deployed per tenant with TENANT_ID set; it answers every method and path with a JSON
// description of the request, after checking (defence in depth) that the bearer token
// the ALB already verified belongs to its own tenant.
//
// Environment (set by the stack): TENANT_ID, TOKEN_ISSUER (the user pool's issuer,
// the exact iss of its tokens) and APP_CLIENT_ID (the app client); without any of
// them every request gets 500. LOG_LEVEL: debug, info, warn, error; default info.
package main

import (
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: logLevel(os.Getenv("LOG_LEVEL"))}))
	h := newHandler(handlerEnv{
		TenantID: os.Getenv("TENANT_ID"),
		Issuer:   os.Getenv("TOKEN_ISSUER"),
		ClientID: os.Getenv("APP_CLIENT_ID"),
	}, logger)
	// A missing variable is reported here and on every request (500), but the
	// runtime still starts: a crash loop would hide the cause behind init errors.
	lambda.Start(h.handle)
}

func logLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
