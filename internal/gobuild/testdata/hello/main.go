// Command hello is a tiny main package used by the gobuild tests.
package main

import "fmt"

func main() { fmt.Println("hello") }
