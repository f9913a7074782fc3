module github.com/wxlogin/wxlogin

go 1.26.8

require (
	github.com/alexedwards/scs/v2 v2.9.0 // indirect
	golang.org/x/sync v0.25.0 // indirect
)
