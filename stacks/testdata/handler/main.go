// Command handler is a stand-in Lambda main package for the stack tests, so
// they do not depend on the real handler in ./lambda.
package main

import "fmt"

func main() { fmt.Println("stand-in bootstrap") }
