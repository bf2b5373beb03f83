module github.com/starnet-dev/starnet

go 1.26.0

require go.starlark.net v0.0.0-20260908191801-89a6a09411d5

require (
	github.com/stretchr/testify v1.12.1 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
