// Command broken does not compile on purpose (gobuild error-path test).
package main

func main() { undefinedFunction() }
