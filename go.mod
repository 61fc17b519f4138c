module github.com/asyncgo/async

go 1.26
