// This stub module exists only so that `go test ./...` and `go vet ./...` at the
// repository root never descend into tools/node/node_modules (some npm packages
// ship .go files). It has no Go code.
module github.com/tenantrouting/alb-jwt-tenant-routing/tools/node

go 1.26
