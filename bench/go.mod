module github.com/asyncgo/async/bench

go 1.26

replace github.com/asyncgo/async => ../
