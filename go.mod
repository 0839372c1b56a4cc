module github.com/revisbali/worker

go 1.26
