module github.com/berth-containers/berth

go 1.26.8
